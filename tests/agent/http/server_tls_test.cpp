// http::Server over TLS (agent/http/tls.h): HTTPS requests, keep-alive and pipelining through
// the TLS layer, plaintext and failed handshakes, the header timeout of a silent client, and
// TlsContext's refusal of unusable certificate and key files. Certificates are made per test
// (tests/support/self_signed_certificate.h).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>

#include "agent/http/server.h"
#include "agent/http/tls.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/raw_client.h"
#include "tests/support/https_client.h"
#include "tests/support/self_signed_certificate.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::http {
namespace {

using fakes::FakeHandler;
using fakes::FakeRespond;
using fakes::FakeResponse;
using fakes::RawClient;
using test::CertificateFiles;
using test::HttpsClient;
using test::TempDir;

// Answers "<method> <path> <body size> <connection id>"; /slow after 150 ms.
void echo(const Request& request, const FakeRespond& respond) {
  FakeResponse response;
  response.body = request.method + " " + request.path() + " " +
                  std::to_string(request.body.size()) + " " + std::to_string(request.connection_id);
  if (request.path() == "/slow") response.delay_ms = 150;
  respond(std::move(response));
}

// A TLS server on its own thread and loop (fakes::ThreadedHttpServer speaks plaintext only).
class TlsServerThread {
 public:
  TlsServerThread(const CertificateFiles& files, Server::Limits limits = fakes::kNoLimits,
                  FakeHandler handler = echo) {
    uv_loop_init(&loop_);
    delays_ = std::make_unique<fakes::ResponseDelays>(&loop_);
    server_ = std::make_unique<Server>(&loop_, delays_->wrap(std::move(handler)), limits);
    server_->use_tls(TlsContext::load(files.cert_file, files.key_file));
    port_ = server_->listen("127.0.0.1", 0);
    stop_ = new uv_async_t{};
    stop_->data = this;
    uv_async_init(&loop_, stop_, [](uv_async_t* async) {
      auto* self = static_cast<TlsServerThread*>(async->data);
      self->server_.reset();
      self->delays_.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(async),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    });
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~TlsServerThread() {
    uv_async_send(stop_);
    thread_.join();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  TlsServerThread(const TlsServerThread&) = delete;
  TlsServerThread& operator=(const TlsServerThread&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }
  uint64_t connections_accepted() const { return server_->connections_accepted(); }

 private:
  uv_loop_t loop_{};
  std::unique_ptr<fakes::ResponseDelays> delays_;
  std::unique_ptr<Server> server_;
  uv_async_t* stop_ = nullptr;
  int port_ = 0;
  std::thread thread_;
};

struct Answer {
  int status = 0;
  std::string body;
};

// A blocking TLS client that controls the bytes it sends (pipelining, half-sent headers) and
// parses the answers with http_parser; every read gives up after 5 s.
class TlsRawClient {
 public:
  TlsRawClient(int port, const std::filesystem::path& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    REQUIRE(ctx_ != nullptr);
    REQUIRE(SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    REQUIRE(SSL_connect(ssl_) == 1);
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
  }
  ~TlsRawClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  TlsRawClient(const TlsRawClient&) = delete;
  TlsRawClient& operator=(const TlsRawClient&) = delete;

  void send(const std::string& bytes) {
    REQUIRE(SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
            static_cast<int>(bytes.size()));
  }
  // Reads until `count` answers arrived, or the server closed, or 5 s passed.
  std::vector<Answer> read(size_t count) {
    char buffer[16 * 1024];
    while (answers_.size() < count && !closed_) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_read(ssl_, buffer, sizeof buffer);
      int saved_errno = errno;
      if (n <= 0) {
        // close_notify, a FIN or a reset close; SO_RCVTIMEO passing does not.
        int error = SSL_get_error(ssl_, n);
        closed_ = !(
            error == SSL_ERROR_WANT_READ ||
            (error == SSL_ERROR_SYSCALL && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)));
        break;
      }
      http_parser_execute(&parser_, &kSettings, buffer, static_cast<size_t>(n));
    }
    std::vector<Answer> out;
    out.swap(answers_);
    return out;
  }
  bool closed_by_peer() {
    read(SIZE_MAX);
    return closed_;
  }

 private:
  static TlsRawClient* from(http_parser* p) { return static_cast<TlsRawClient*>(p->data); }
  static int on_message_begin(http_parser* p) {
    from(p)->current_ = Answer{};
    return 0;
  }
  static int on_body(http_parser* p, const char* at, size_t length) {
    from(p)->current_.body.append(at, length);
    return 0;
  }
  static int on_message_complete(http_parser* p) {
    from(p)->current_.status = static_cast<int>(p->status_code);
    from(p)->answers_.push_back(std::move(from(p)->current_));
    return 0;
  }
  static const http_parser_settings kSettings;

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  http_parser parser_{};
  Answer current_;
  std::vector<Answer> answers_;
  bool closed_ = false;
};

const http_parser_settings TlsRawClient::kSettings = {
    .on_message_begin = &TlsRawClient::on_message_begin,
    .on_url = nullptr,
    .on_status = nullptr,
    .on_header_field = nullptr,
    .on_header_value = nullptr,
    .on_headers_complete = nullptr,
    .on_body = &TlsRawClient::on_body,
    .on_message_complete = &TlsRawClient::on_message_complete,
    .on_chunk_header = nullptr,
    .on_chunk_complete = nullptr,
};

std::string get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

}  // namespace

TEST_CASE("TLS: a GET and a POST over HTTPS share one kept-alive connection") {
  TempDir dir;
  CertificateFiles files = test::write_self_signed_certificate(dir.path());
  TlsServerThread server(files);
  HttpsClient client(files.cert_file);
  auto first = client.get(server.url("/a"));
  INFO(client.error());
  REQUIRE(first.code == CURLE_OK);
  CHECK(first.status == 200);
  CHECK(first.body == "GET /a 0 1");
  CHECK(client.new_connections() == 1);
  auto second = client.post(server.url("/b"), "hello");
  REQUIRE(second.code == CURLE_OK);
  CHECK(second.body == "POST /b 5 1");
  CHECK(client.new_connections() == 0);
  // A body of many TLS records, read in many pieces.
  std::string big(3 * 1024 * 1024 + 7, 'x');
  auto large = client.post(server.url("/big"), big);
  REQUIRE(large.code == CURLE_OK);
  CHECK(large.body == "POST /big " + std::to_string(big.size()) + " 1");
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("TLS: pipelined requests are answered in order, then Connection: close closes") {
  TempDir dir;
  CertificateFiles files = test::write_self_signed_certificate(dir.path());
  TlsServerThread server(files);
  TlsRawClient client(server.port(), files.cert_file);
  client.send(get("/slow") + "POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
              get("/last"));
  auto answers = client.read(3);
  REQUIRE(answers.size() == 3);
  CHECK(answers[0].body == "GET /slow 0 1");
  CHECK(answers[1].body == "POST /fast 3 1");
  CHECK(answers[2].body == "GET /last 0 1");
  client.send("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + get("/ignored"));
  answers = client.read(2);
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].body == "GET /bye 0 1");
  CHECK(client.closed_by_peer());
}

TEST_CASE("TLS: plaintext HTTP to the TLS port is closed; the server goes on") {
  TempDir dir;
  CertificateFiles files = test::write_self_signed_certificate(dir.path());
  TlsServerThread server(files);
  {
    RawClient plain(server.port());
    plain.send(get("/a"));
    CHECK(plain.closed_by_peer());
  }
  {
    // A client that does not trust the certificate gives up during the handshake.
    CertificateFiles other = test::write_self_signed_certificate(dir.path(), "other");
    HttpsClient untrusting(other.cert_file);
    CHECK(untrusting.get(server.url("/a")).code == CURLE_PEER_FAILED_VERIFICATION);
  }
  HttpsClient client(files.cert_file);
  auto answer = client.get(server.url("/after"));
  REQUIRE(answer.code == CURLE_OK);
  CHECK(answer.body == "GET /after 0 3");
}

TEST_CASE("TLS: header_timeout closes a silent client, and answers 408 once past the handshake") {
  TempDir dir;
  CertificateFiles files = test::write_self_signed_certificate(dir.path());
  auto limits = fakes::kNoLimits;
  limits.header_timeout_ms = 200;
  TlsServerThread server(files, limits);
  {
    // Connects and sends nothing: no handshake, so no HTTP answer, only a close.
    auto started = std::chrono::steady_clock::now();
    RawClient silent(server.port());
    CHECK(silent.closed_by_peer());
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(200));
  }
  {
    TlsRawClient slow(server.port(), files.cert_file);
    slow.send("GET /a HTTP/1.1\r\nHost: x\r\n");  // never finished
    auto answers = slow.read(1);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].status == 408);
    CHECK(slow.closed_by_peer());
  }
}

TEST_CASE("TlsContext::load refuses unusable files, naming the file and not its content") {
  TempDir dir;
  CertificateFiles good = test::write_self_signed_certificate(dir.path());
  CertificateFiles other = test::write_self_signed_certificate(dir.path(), "other");
  const std::string key_text = test::read_file(good.key_file);
  auto failure = [&](const std::filesystem::path& cert, const std::filesystem::path& key) {
    try {
      TlsContext::load(cert, key);
    } catch (const TlsFileError& e) {
      CHECK(std::string(e.what()).find("PRIVATE KEY") == std::string::npos);
      return std::pair{e.which(), std::string(e.what())};
    }
    FAIL("no TlsFileError");
    return std::pair{TlsFileError::File::kCert, std::string()};
  };
  CHECK(TlsContext::load(good.cert_file, good.key_file) != nullptr);

  auto [which, message] = failure(dir / "missing.crt", good.key_file);
  CHECK(which == TlsFileError::File::kCert);
  CHECK(message.find((dir / "missing.crt").string()) != std::string::npos);
  CHECK(message.find("No such file") != std::string::npos);

  std::tie(which, message) = failure(good.cert_file, dir / "missing.key");
  CHECK(which == TlsFileError::File::kKey);
  CHECK(message.find((dir / "missing.key").string()) != std::string::npos);

  std::tie(which, message) = failure(good.cert_file, other.key_file);
  CHECK(which == TlsFileError::File::kKey);
  const std::string shown = message;  // clang 14 cannot capture a structured binding
  INFO(shown);
  CHECK(message.find("does not match") != std::string::npos);

  // The key where the certificate belongs: not a certificate, and its text is not repeated.
  std::tie(which, message) = failure(good.key_file, good.key_file);
  CHECK(which == TlsFileError::File::kCert);
  CHECK(message.find(good.key_file.string()) != std::string::npos);
  CHECK(message.find(key_text.substr(30, 20)) == std::string::npos);

  test::write_file(dir / "garbage.key", "not a key\n");
  std::tie(which, message) = failure(good.cert_file, dir / "garbage.key");
  CHECK(which == TlsFileError::File::kKey);

  // A passphrase-protected key is refused, not prompted for.
  {
    std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_file(good.key_file.c_str(), "r"),
                                                 &BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
    REQUIRE(key != nullptr);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(
        BIO_new_file((dir / "encrypted.key").c_str(), "w"), &BIO_free);
    char passphrase[] = "passphrase";
    REQUIRE(PEM_write_bio_PrivateKey(out.get(), key.get(), EVP_aes_128_cbc(),
                                     reinterpret_cast<unsigned char*>(passphrase),
                                     sizeof passphrase - 1, nullptr, nullptr) == 1);
  }
  std::tie(which, message) = failure(good.cert_file, dir / "encrypted.key");
  CHECK(which == TlsFileError::File::kKey);
}

}  // namespace auditrelay::http
