// HttpClient's TLS settings against `openssl s_server` with certificates made at test time.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "agent/delivery/http_client.h"
#include "tests/agent/delivery/http_client_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::delivery {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::contains;
using test::fetch;
using test::request;
using test::TestLoop;

std::string openssl() {
  std::stringstream path(std::getenv("PATH") != nullptr ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(path, dir, ':');) {
    auto candidate = std::filesystem::path(dir) / "openssl";
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  FAIL("the openssl command is needed for the TLS tests");
  return "";
}

// A self-signed certificate (and its key) for the DNS name `name`, made with the openssl CLI.
struct Certificate {
  std::string cert;
  std::string key;
};

Certificate make_certificate(const test::TempDir& dir, const std::string& name) {
  Certificate c{(dir / (name + ".crt")).string(), (dir / (name + ".key")).string()};
  test::Process req({openssl(), "req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", c.key, "-out", c.cert,
                     "-days", "2", "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:" + name},
                    dir / "req.out", dir / "req.err");
  INFO(test::read_file(dir / "req.err"));
  REQUIRE(req.wait(seconds(60)) == 0);
  return c;
}

// `openssl s_server`: a real TLS peer on an ephemeral port. It prints "ACCEPT
// 127.0.0.1:<port>" once it listens, which gives the port.
class TlsServer {
 public:
  enum class Mode {
    kStatusPage,    // -www: answers a GET with a status page
    kPrintRequest,  // prints what it receives and never answers
  };

  TlsServer(const test::TempDir& dir, const std::vector<std::string>& args,
            Mode mode = Mode::kStatusPage)
      : out_(dir / "s_server.out"), err_(dir / "s_server.err") {
    std::vector<std::string> argv{openssl(), "s_server", "-accept", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::optional<std::filesystem::path> input;
    if (mode == Mode::kStatusPage) {
      argv.push_back("-www");
    } else {
      // Without -www, s_server sends what it reads from stdin and stops at its end: a FIFO
      // held open here is an input that never ends (and never sends anything).
      input = dir / "s_server.in";
      REQUIRE(::mkfifo(input->c_str(), 0600) == 0);
      fifo_ = ::open(input->c_str(), O_RDWR | O_NONBLOCK);
      REQUIRE(fifo_ >= 0);
    }
    process_ = std::make_unique<test::Process>(argv, out_, err_, std::vector<std::string>{}, input);
    test::wait_until([&] { return read_port() != 0 || !process_->running(); }, seconds(60));
    INFO(test::read_file(err_));
    REQUIRE(port_ != 0);
  }
  ~TlsServer() {
    process_.reset();
    if (fifo_ >= 0) ::close(fifo_);
  }
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::string output() const { return test::read_file(out_); }

 private:
  int read_port() {
    std::string out = output();
    auto at = out.find("ACCEPT 127.0.0.1:");
    if (at == std::string::npos || out.find('\n', at) == std::string::npos) return 0;
    port_ = std::atoi(out.c_str() + at + 17);
    return port_;
  }

  std::filesystem::path out_;
  std::filesystem::path err_;
  int fifo_ = -1;
  std::unique_ptr<test::Process> process_;
  int port_ = 0;
};

HttpResponse tls_get(const std::string& to, TlsSettings tls) {
  TestLoop loop;
  HttpClientOptions options;
  options.tls = std::move(tls);
  HttpClient client(loop.get(), options);
  return fetch(loop, client, request("GET", to));
}

}  // namespace

TEST_CASE("TLS: certificates are verified by default, against ca_file when given") {
  test::TempDir dir;
  Certificate es = make_certificate(dir, "es.internal");
  TlsServer server(dir, {"-cert", es.cert, "-key", es.key});

  TlsSettings untrusted;  // verify=true, system CAs only
  untrusted.server_name = "es.internal";
  auto refused = tls_get(server.url(), untrusted);
  CHECK(refused.status == 0);
  CHECK(contains(refused.error, "certificate"));

  TlsSettings trusted = untrusted;
  trusted.ca_file = es.cert;
  auto fine = tls_get(server.url(), trusted);
  CHECK(fine.error.empty());
  CHECK(fine.status == 200);

  TlsSettings unverified;
  unverified.verify = false;
  CHECK(tls_get(server.url(), unverified).status == 200);
}

TEST_CASE("TLS: the host name is verified: the URL's, or server_name when set") {
  test::TempDir dir;
  Certificate es = make_certificate(dir, "es.internal");
  TlsServer server(dir, {"-cert", es.cert, "-key", es.key});
  TlsSettings tls;
  tls.ca_file = es.cert;
  auto mismatch = tls_get(server.url(), tls);  // a certificate for es.internal, not 127.0.0.1
  CHECK(mismatch.status == 0);
  CHECK(contains(mismatch.error, "127.0.0.1"));
  tls.server_name = "other.internal";
  CHECK(tls_get(server.url(), tls).status == 0);
  tls.server_name = "es.internal";
  CHECK(tls_get(server.url(), tls).status == 200);
}

TEST_CASE("TLS: with server_name, the request still goes to the URL's host, Host unchanged") {
  test::TempDir dir;
  Certificate es = make_certificate(dir, "es.internal");
  TlsServer server(dir, {"-cert", es.cert, "-key", es.key}, TlsServer::Mode::kPrintRequest);
  TestLoop loop;
  HttpClientOptions options;
  options.tls.ca_file = es.cert;
  options.tls.server_name = "es.internal";
  HttpClient client(loop.get(), options);
  bool answered = false;
  client.send(request("GET", server.url() + "_cluster/health"),
              [&](HttpResponse) { answered = true; });
  REQUIRE(loop.run_until([&] { return contains(server.output(), "\r\n\r\n"); }, seconds(20),
                         milliseconds(10)));
  std::string received = server.output();
  CHECK(contains(received, "GET /_cluster/health HTTP/1.1\r\n"));
  CHECK(contains(received, "\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"));
  CHECK_FALSE(answered);  // and the client goes away with the request in flight
}

TEST_CASE("TLS: server_name is the name sent in SNI") {
  test::TempDir dir;
  Certificate es = make_certificate(dir, "es.internal");
  Certificate fallback = make_certificate(dir, "fallback.internal");
  // s_server presents es.internal's certificate only to a client whose SNI says es.internal.
  TlsServer server(dir, {"-cert", fallback.cert, "-key", fallback.key, "-servername", "es.internal",
                         "-cert2", es.cert, "-key2", es.key});
  TlsSettings tls;
  tls.ca_file = es.cert;  // trusts only es.internal's certificate
  tls.server_name = "es.internal";
  auto response = tls_get(server.url(), tls);
  CHECK(response.error.empty());
  CHECK(response.status == 200);
}

TEST_CASE("TLS: a client certificate for a server that requires one") {
  test::TempDir dir;
  Certificate es = make_certificate(dir, "es.internal");
  Certificate agent = make_certificate(dir, "agent.internal");
  TlsServer server(dir, {"-cert", es.cert, "-key", es.key, "-Verify", "1", "-CAfile", agent.cert});
  TlsSettings tls;
  tls.ca_file = es.cert;
  tls.server_name = "es.internal";
  CHECK(tls_get(server.url(), tls).status == 0);
  tls.cert_file = agent.cert;
  tls.key_file = agent.key;
  auto response = tls_get(server.url(), tls);
  CHECK(response.error.empty());
  CHECK(response.status == 200);
}

}  // namespace auditrelay::delivery
