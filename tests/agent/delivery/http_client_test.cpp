// HttpClient against real peers: the fake HTTP server of tests/fakes and, for TLS,
// `openssl s_server` with certificates made at test time.
#include "agent/delivery/http_client.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fakes/http_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::delivery {
namespace {

using fakes::FakeRequest;
using fakes::FakeResponse;
using fakes::HttpServer;
using fakes::ThreadedHttpServer;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The client's loop. run_until() waits for an event with a deadline (a watchdog timer wakes
// the loop up); at the end, the loop must close: every handle the client opened was closed.
class TestLoop {
 public:
  TestLoop() {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &watchdog_);
    uv_prepare_init(&loop_, &check_done_);
  }
  ~TestLoop() {
    if (!finished_) CHECK(finish());
  }
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // `recheck` wakes the loop periodically, for a condition outside it (a file's content).
  bool run_until(const std::function<bool()>& done, milliseconds timeout = seconds(20),
                 milliseconds recheck = milliseconds(0)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto wake = static_cast<uint64_t>((recheck.count() > 0 ? recheck : timeout).count());
    uv_timer_start(
        &watchdog_, [](uv_timer_t*) {}, wake, wake);
    // An event handled by a timer callback, before the poll phase of the same iteration,
    // would otherwise leave uv_run() waiting in that poll for the next event: this checks
    // right before polling, and makes the poll return at once when done.
    check_done_.data = const_cast<std::function<bool()>*>(&done);
    uv_prepare_start(&check_done_, [](uv_prepare_t* h) {
      if ((*static_cast<std::function<bool()>*>(h->data))()) uv_stop(h->loop);
    });
    while (!done() && std::chrono::steady_clock::now() < deadline)
      uv_run(&loop_, UV_RUN_ONCE);
    uv_prepare_stop(&check_done_);
    uv_timer_stop(&watchdog_);
    return done();
  }

  // Runs the loop until no handle is left, then closes it; false if one stays open.
  bool finish() {
    finished_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&watchdog_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&check_done_), nullptr);
    auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (uv_loop_alive(&loop_) != 0 && std::chrono::steady_clock::now() < deadline)
      uv_run(&loop_, UV_RUN_NOWAIT);
    return uv_loop_close(&loop_) == 0;
  }

 private:
  uv_loop_t loop_{};
  uv_timer_t watchdog_{};
  uv_prepare_t check_done_{};
  bool finished_ = false;
};

// The requests a server saw (on its own thread), read from the test's.
class Seen {
 public:
  void add(const FakeRequest& request) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  FakeRequest at(size_t i) const {
    std::lock_guard lock(mutex_);
    return requests_.at(i);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<FakeRequest> requests_;
};

// A server that records each request and answers with `answer(request)`.
std::unique_ptr<ThreadedHttpServer> serve(Seen& seen,
                                          std::function<FakeResponse(const FakeRequest&)> answer) {
  return std::make_unique<ThreadedHttpServer>(
      [&seen, answer](const FakeRequest& request, const HttpServer::Respond& respond) {
        seen.add(request);
        respond(answer(request));
      });
}

std::string url(const ThreadedHttpServer& server, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + path;
}

HttpRequest request(std::string method, std::string to, std::optional<std::string> body = {},
                    std::vector<std::string> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(to);
  if (body) r.body = std::make_shared<const std::string>(std::move(*body));
  r.headers = std::move(headers);
  return r;
}

// Sends one request and runs the loop until its answer.
HttpResponse fetch(TestLoop& loop, HttpClient& client, HttpRequest r) {
  std::optional<HttpResponse> got;
  client.send(std::move(r), [&](HttpResponse response) { got = std::move(response); });
  REQUIRE(loop.run_until([&] { return got.has_value(); }));
  return std::move(*got);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every byte value, CR LF pairs included, in a body larger than a socket buffer.
std::string binary_body(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return s + "\r\n\r\n\0end";
}

std::string gunzip(const std::string& data) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out;
  char buffer[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  inflateEnd(&z);
  CHECK(rc == Z_STREAM_END);
  return out;
}

FakeResponse ok(std::string body = "ok") {
  FakeResponse r;
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST_CASE("a POST body arrives byte-exact, with the request's headers and no Expect") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) {
    FakeResponse r = ok("created");
    r.status = 201;
    return r;
  });
  HttpClient client(loop.get(), {});
  std::string payload = binary_body(300'000);
  auto response =
      fetch(loop, client,
            request("POST", url(*server, "/_bulk"), payload,
                    {"Content-Type: application/x-ndjson", "Authorization: ApiKey c2VjcmV0"}));
  CHECK(response.status == 201);
  CHECK(response.error.empty());
  CHECK(response.body == "created");
  CHECK(response.seconds > 0);
  REQUIRE(seen.count() == 1);
  FakeRequest got = seen.at(0);
  CHECK(got.method == "POST");
  CHECK(got.path() == "/_bulk");
  CHECK(got.body == payload);
  CHECK(got.header("Content-Length") == std::to_string(payload.size()));
  CHECK(got.header("Content-Type") == "application/x-ndjson");
  CHECK(got.header("Authorization") == "ApiKey c2VjcmV0");
  CHECK(got.header("Expect").empty());
  CHECK(client.in_flight() == 0);
}

TEST_CASE("methods: a real GET without a body, custom methods with or without one") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) { return ok(); });
  HttpClient client(loop.get(), {});
  CHECK(fetch(loop, client, request("GET", url(*server, "/get"))).status == 200);
  CHECK(fetch(loop, client, request("GET", url(*server, "/search"), "{\"q\":1}")).status == 200);
  CHECK(fetch(loop, client, request("PUT", url(*server, "/put"), "doc")).status == 200);
  CHECK(fetch(loop, client, request("DELETE", url(*server, "/delete"))).status == 200);
  CHECK(fetch(loop, client, request("POST", url(*server, "/empty"))).status == 200);
  CHECK(fetch(loop, client, request("HEAD", url(*server, "/head"))).status == 200);
  REQUIRE(seen.count() == 6);
  CHECK(seen.at(0).method == "GET");
  CHECK(seen.at(0).header("Content-Length").empty());
  CHECK(seen.at(0).header("Content-Type").empty());
  CHECK(seen.at(1).method == "GET");
  CHECK(seen.at(1).body == "{\"q\":1}");
  CHECK(seen.at(2).method == "PUT");
  CHECK(seen.at(2).body == "doc");
  CHECK(seen.at(2).header("Content-Type").empty());  // not curl's form-encoded default
  CHECK(seen.at(3).method == "DELETE");
  CHECK(seen.at(3).header("Content-Length").empty());
  CHECK(seen.at(4).method == "POST");
  CHECK(seen.at(4).header("Content-Length") == "0");
  CHECK(seen.at(5).method == "HEAD");
}

TEST_CASE("20 sequential requests reuse one kept-alive connection") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) { return ok(); });
  HttpClient client(loop.get(), {});
  for (int i = 0; i < 20; ++i) {
    auto response = fetch(loop, client, request("POST", url(*server, "/seq"), "record"));
    REQUIRE(response.status == 200);
  }
  CHECK(server->connections_accepted() == 1);
  CHECK(seen.at(19).connection_id == seen.at(0).connection_id);
}

TEST_CASE("50 concurrent requests all complete, over at most max_connections_per_host") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest& r) { return ok(r.path()); });
  HttpClientOptions options;
  options.max_connections_per_host = 4;
  HttpClient client(loop.get(), options);
  std::vector<std::optional<HttpResponse>> responses(50);
  for (size_t i = 0; i < responses.size(); ++i)
    client.send(request("POST", url(*server, "/r" + std::to_string(i)), "x"),
                [&responses, i](HttpResponse r) { responses[i] = std::move(r); });
  CHECK(client.in_flight() == 50);
  size_t done = 0;
  REQUIRE(loop.run_until([&] {
    done = 0;
    for (auto& r : responses)
      done += r.has_value() ? 1 : 0;
    return done == responses.size();
  }));
  for (size_t i = 0; i < responses.size(); ++i) {
    CHECK(responses[i]->status == 200);
    CHECK(responses[i]->body == "/r" + std::to_string(i));
  }
  CHECK(client.in_flight() == 0);
  CHECK(server->connections_accepted() <= 4);
}

TEST_CASE("a request that takes longer than its timeout fails with a timeout") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) {
    FakeResponse r = ok();
    r.delay_ms = 10'000;
    return r;
  });
  HttpClientOptions options;
  options.request_timeout_ms = 100;
  HttpClient client(loop.get(), options);
  auto response = fetch(loop, client, request("POST", url(*server, "/slow"), "x"));
  CHECK(response.status == 0);
  CHECK(contains(response.error, "Timeout"));
  CHECK(response.seconds < 5);

  HttpClientOptions patient;  // the client's 30 s, but this request's own 100 ms
  HttpClient other(loop.get(), patient);
  HttpRequest r = request("POST", url(*server, "/slow"), "x");
  r.timeout_ms = 100;
  response = fetch(loop, other, r);
  CHECK(response.status == 0);
  CHECK(contains(response.error, "Timeout"));
}

TEST_CASE("a refused connection is an error") {
  TestLoop loop;
  HttpServer server(loop.get(),
                    [](const FakeRequest&, const HttpServer::Respond& respond) { respond(ok()); });
  int port = server.listen("127.0.0.1", 0);
  server.stop_listening();  // nothing listens on `port` any more
  HttpClient client(loop.get(), {});
  auto response =
      fetch(loop, client, request("POST", "http://127.0.0.1:" + std::to_string(port) + "/", "x"));
  CHECK(response.status == 0);
  CHECK(contains(response.error, "connect"));
}

TEST_CASE("a connection dropped without an answer is an error") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) {
    FakeResponse r;
    r.drop = true;
    return r;
  });
  HttpClient client(loop.get(), {});
  auto response = fetch(loop, client, request("POST", url(*server, "/"), "x"));
  CHECK(response.status == 0);
  CHECK_FALSE(response.error.empty());
}

TEST_CASE("Retry-After and Content-Type are captured, whatever their case") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) {
    FakeResponse r = ok("{\"error\":\"slow down\"}");
    r.status = 429;
    r.headers = {{"retry-after", "7"}, {"CONTENT-TYPE", "application/json; charset=UTF-8"}};
    return r;
  });
  HttpClient client(loop.get(), {});
  auto response = fetch(loop, client, request("POST", url(*server, "/"), "x"));
  CHECK(response.status == 429);
  CHECK(response.error.empty());
  CHECK(response.retry_after == "7");
  CHECK(response.content_type == "application/json; charset=UTF-8");
  CHECK(response.body == "{\"error\":\"slow down\"}");
}

TEST_CASE("a caller may still ask for 100-continue; the final response's headers are kept") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) {
    FakeResponse r = ok();
    r.status = 503;
    r.headers = {{"Retry-After", "3"}, {"Content-Type", "text/plain"}};
    return r;
  });
  HttpClient client(loop.get(), {});
  auto response =
      fetch(loop, client, request("POST", url(*server, "/"), "x", {"Expect: 100-continue"}));
  CHECK(response.status == 503);
  CHECK(response.retry_after == "3");
  CHECK(response.content_type == "text/plain");
  CHECK(seen.at(0).header("Expect") == "100-continue");
}

TEST_CASE("a header with a line break is refused, through the callback") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) { return ok(); });
  HttpClient client(loop.get(), {});
  auto response = fetch(
      loop, client,
      request("POST", url(*server, "/"), "x", {"Authorization: Bearer t0ken\r\nX-Injected: 1"}));
  CHECK(response.status == 0);
  CHECK(contains(response.error, "line break"));
  CHECK_FALSE(contains(response.error, "t0ken"));
  CHECK(seen.count() == 0);
}

TEST_CASE("a redirect is returned, not followed") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) {
    FakeResponse r;
    r.status = 302;
    r.headers = {{"Location", "/elsewhere"}};
    return r;
  });
  HttpClient client(loop.get(), {});
  CHECK(fetch(loop, client, request("POST", url(*server, "/"), "x")).status == 302);
  CHECK(seen.count() == 1);
}

TEST_CASE("a gzip'd body inflates back to the original at the server") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) { return ok(); });
  HttpClient client(loop.get(), {});
  std::string payload;
  for (int i = 0; i < 5000; ++i)
    payload += "{\"index\":{}}\n{\"message\":\"record " + std::to_string(i) + "\"}\n";
  std::string packed = gzip_compress(payload);
  CHECK(packed.size() < payload.size() / 4);
  auto response = fetch(loop, client,
                        request("POST", url(*server, "/_bulk"), packed,
                                {"Content-Type: application/x-ndjson", "Content-Encoding: gzip"}));
  CHECK(response.status == 200);
  REQUIRE(seen.count() == 1);
  CHECK(seen.at(0).header("Content-Encoding") == "gzip");
  CHECK(gunzip(seen.at(0).body) == payload);
}

TEST_CASE("a compressed response is decoded") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) {
    FakeResponse r = ok(gzip_compress("{\"errors\":false}"));
    r.headers = {{"Content-Encoding", "gzip"}};
    return r;
  });
  HttpClient client(loop.get(), {});
  auto response = fetch(loop, client, request("POST", url(*server, "/"), "x"));
  CHECK(response.body == "{\"errors\":false}");
  CHECK(contains(seen.at(0).header("Accept-Encoding"), "gzip"));
}

TEST_CASE("callbacks come from the loop, never from inside send(), even for early failures") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) { return ok(); });
  HttpClientOptions options;
  options.tls.server_name = "es.internal";  // makes send() parse the URL, and fail on it
  HttpClient client(loop.get(), options);
  std::vector<HttpResponse> got;
  auto keep = [&](HttpResponse r) { got.push_back(std::move(r)); };
  client.send(request("POST", url(*server, "/"), "x"), keep);
  client.send(request("POST", "https://[not a url", "x"), keep);
  client.send(request("POST", "ftp://127.0.0.1/", "x"), keep);  // only http and https
  CHECK(got.empty());
  CHECK(client.in_flight() == 3);
  REQUIRE(loop.run_until([&] { return got.size() == 3; }));
  CHECK(client.in_flight() == 0);
  int fine = 0;
  for (const auto& r : got) {
    if (r.status == 200) {
      ++fine;
    } else {
      CHECK(r.status == 0);
      CHECK_FALSE(r.error.empty());
    }
  }
  CHECK(fine == 1);
}

TEST_CASE("destroying the client aborts requests in flight without calling back") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest& r) {
    FakeResponse answer = ok();
    if (r.path() == "/slow") answer.delay_ms = 10'000;
    return answer;
  });
  auto client = std::make_unique<HttpClient>(loop.get(), HttpClientOptions{});
  // One connection idle in the keep-alive pool, three busy.
  REQUIRE(fetch(loop, *client, request("POST", url(*server, "/fast"), "x")).status == 200);
  int calls = 0;
  for (int i = 0; i < 3; ++i)
    client->send(request("POST", url(*server, "/slow"), "x"), [&](HttpResponse) { ++calls; });
  REQUIRE(loop.run_until([&] { return seen.count() == 4; }));
  CHECK(client->in_flight() == 3);
  client.reset();
  CHECK(loop.finish());  // every poll and timer closed
  CHECK(calls == 0);
}

TEST_CASE("a callback may destroy the client that calls it") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const FakeRequest&) { return ok(); });
  auto client = std::make_unique<HttpClient>(loop.get(), HttpClientOptions{});
  int calls = 0;
  for (int i = 0; i < 3; ++i)
    client->send(request("POST", url(*server, "/"), "x"), [&](HttpResponse) {
      ++calls;
      client.reset();
    });
  REQUIRE(loop.run_until([&] { return calls > 0; }));
  CHECK(loop.finish());
  CHECK(calls == 1);
}

// --- TLS, against `openssl s_server` ---

namespace {

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
