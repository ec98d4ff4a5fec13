// http::Server: keep-alive, pipelining, Expect, chunked bodies, bad requests, large bodies,
// delays (the fakes' ResponseDelays), drops, stop/listen and the Limits, seen from real clients.
#include "agent/http/server.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/raw_client.h"

namespace auditrelay::http {
namespace {

using fakes::CurlClient;
using fakes::FakeRespond;
using fakes::FakeResponse;
using fakes::RawClient;
using fakes::ThreadedHttpServer;

std::string base(const ThreadedHttpServer& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

// Answers "<method> <path> <body size> <connection id>", with faults chosen by path.
void echo(const Request& request, const FakeRespond& respond) {
  FakeResponse response;
  response.body = request.method + " " + request.path() + " " +
                  std::to_string(request.body.size()) + " " + std::to_string(request.connection_id);
  if (request.path() == "/slow") response.delay_ms = 150;
  if (request.path() == "/drop") response.drop = true;
  if (request.path() == "/teapot") response.status = 418;
  response.headers.emplace_back("X-Query", request.query_param("q"));
  respond(std::move(response));
}

}  // namespace

TEST_CASE("keep-alive: consecutive requests share one connection") {
  ThreadedHttpServer server(echo);
  CurlClient client;
  auto first = client.get(base(server) + "/a?q=x%2Cy");
  auto second = client.post(base(server) + "/b", "hello");
  REQUIRE(first.code == CURLE_OK);
  CHECK(first.status == 200);
  CHECK(first.body == "GET /a 0 1");
  CHECK(first.header("X-Query") == "x,y");
  CHECK(second.body == "POST /b 5 1");
  CHECK(client.get(base(server) + "/teapot").status == 418);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("pipelined requests are answered in order, even when the first is slow") {
  ThreadedHttpServer server(echo);
  RawClient raw(server.port());
  raw.send(
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /last HTTP/1.1\r\nHost: x\r\n\r\n");
  auto responses = raw.read(3);
  REQUIRE(responses.size() == 3);
  CHECK(responses[0].body == "GET /slow 0 1");
  CHECK(responses[1].body == "POST /fast 3 1");
  CHECK(responses[2].body == "GET /last 0 1");
}

TEST_CASE("Connection: close is honoured") {
  ThreadedHttpServer server(echo);
  RawClient raw(server.port());
  raw.send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n");
  auto responses = raw.read(2, std::chrono::milliseconds(500));
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].header("Connection") == "close");
  CHECK(raw.closed_by_peer());
}

TEST_CASE("Expect: 100-continue gets an interim answer before the body is sent") {
  ThreadedHttpServer server(echo);
  RawClient raw(server.port());
  raw.send("PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  auto interim = raw.read(1);
  REQUIRE(interim.size() == 1);
  CHECK(interim[0].status == 100);
  raw.send("data");
  auto final_answer = raw.read(1);
  REQUIRE(final_answer.size() == 1);
  CHECK(final_answer[0].body == "PUT /e 4 1");
}

TEST_CASE("chunked request bodies are reassembled") {
  ThreadedHttpServer server(echo);
  RawClient raw(server.port());
  raw.send(
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  auto responses = raw.read(1);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].body == "POST /c 11 1");
}

TEST_CASE("a malformed request gets 400 and the connection is closed") {
  ThreadedHttpServer server(echo);
  RawClient raw(server.port());
  raw.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nthis is not http\r\n\r\n");
  auto responses = raw.read(2);
  REQUIRE(responses.size() == 2);
  CHECK(responses[0].status == 200);
  CHECK(responses[1].status == 400);
  CHECK(raw.closed_by_peer());
}

TEST_CASE("large bodies arrive whole") {
  ThreadedHttpServer server(echo);
  CurlClient client;
  std::string body(24 * 1024 * 1024, 'x');
  auto result = client.post(base(server) + "/big", body);
  REQUIRE(result.code == CURLE_OK);
  CHECK(result.body == "POST /big " + std::to_string(body.size()) + " 1");
}

TEST_CASE("a dropped answer closes the connection without a response") {
  ThreadedHttpServer server(echo);
  CurlClient client;
  auto dropped = client.get(base(server) + "/drop");
  CHECK(dropped.code != CURLE_OK);
  auto next = client.get(base(server) + "/a");
  CHECK(next.status == 200);
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("respond may be called later, and after the client left") {
  std::atomic<int> calls{0};
  auto saved = std::make_shared<FakeRespond>();
  ThreadedHttpServer server([&, saved](const Request& request, FakeRespond respond) {
    calls++;
    if (request.path() == "/hold") {
      *saved = std::move(respond);  // never answered while the client waits
      return;
    }
    if (*saved) (*saved)(FakeResponse{{.status = 200}});  // the first client is gone: ignored
    respond(FakeResponse{{.status = 204}});
  });
  {
    CurlClient client;
    CHECK(client.request("GET", base(server) + "/hold", "", {}, 200).code ==
          CURLE_OPERATION_TIMEDOUT);
  }
  CurlClient other;
  CHECK(other.get(base(server) + "/next").status == 204);
  CHECK(calls == 2);
}

TEST_CASE("stop_listening refuses connections; listen reopens the same port") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    fakes::ResponseDelays delays(&loop);
    Server server(&loop, delays.wrap(echo));
    int port = server.listen("127.0.0.1", 0);
    REQUIRE(port > 0);
    { RawClient accepted_by_kernel(port); }
    server.stop_listening();
    CHECK_THROWS_AS(RawClient{port}, std::runtime_error);
    CHECK(server.listen("127.0.0.1", port) == port);
    RawClient again(port);
    CHECK_THROWS_AS(server.listen("127.0.0.1", port), std::runtime_error);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);  // every handle was closed
}

// --- Limits -------------------------------------------------------------------------------

namespace {

// No limit but the ones a test sets.
constexpr Server::Limits kNone = fakes::kNoLimits;

// An echo server that counts the requests that reached its handler.
struct CountingEcho {
  explicit CountingEcho(Server::Limits limits)
      : server(
            [this](const Request& request, const FakeRespond& respond) {
              calls++;
              echo(request, respond);
            },
            "127.0.0.1", limits) {}
  std::atomic<int> calls{0};
  ThreadedHttpServer server;
};

std::string get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

}  // namespace

TEST_CASE("Response.close answers, then closes the connection") {
  ThreadedHttpServer server([](const Request&, const FakeRespond& respond) {
    respond(FakeResponse{{.status = 200, .close = true}});
  });
  RawClient raw(server.port());
  raw.send(get("/a") + get("/ignored"));
  auto responses = raw.read(2, std::chrono::milliseconds(500));
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].header("Connection") == "close");
  CHECK(raw.closed_by_peer());
}

TEST_CASE("max_connections: one connection more is closed at once, the others still work") {
  auto limits = kNone;
  limits.max_connections = 2;
  ThreadedHttpServer server(echo, "127.0.0.1", limits);
  RawClient first(server.port());
  RawClient second(server.port());
  // Answered, so both are open on the server's side before the third connects.
  first.send(get("/a"));
  second.send(get("/b"));
  REQUIRE(first.read(1).size() == 1);
  REQUIRE(second.read(1).size() == 1);

  RawClient third(server.port());  // the kernel accepts it; the server closes it
  CHECK(third.closed_by_peer());
  CHECK(third.read(1, std::chrono::milliseconds(100)).empty());
  CHECK(server.connections_refused() == 1);

  first.send(get("/again"));
  second.send(get("/again"));
  auto a = first.read(1);
  auto b = second.read(1);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(a[0].body == "GET /again 0 1");
  CHECK(b[0].body == "GET /again 0 2");
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("header_timeout: headers sent a byte at a time get 408 and a close") {
  auto limits = kNone;
  limits.header_timeout_ms = 200;
  CountingEcho counting(limits);
  ThreadedHttpServer& server = counting.server;
  std::atomic<int>& calls = counting.calls;
  RawClient raw(server.port());
  raw.send(get("/first"));  // a complete request in time is answered
  REQUIRE(raw.read(1).size() == 1);

  const std::string slow = "GET /slow HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(1000, 'y');
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + std::chrono::seconds(10);
  std::vector<fakes::RawResponse> responses;
  for (size_t i = 0; i < slow.size() && responses.empty(); ++i) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    raw.send(slow.substr(i, 1));
    responses = raw.read(1, std::chrono::milliseconds(20));  // also paces the client
  }
  if (responses.empty()) responses = raw.read(1);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].status == 408);
  CHECK(responses[0].header("Connection") == "close");
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(200));
  CHECK(raw.closed_by_peer());
  CHECK(calls == 1);
}

TEST_CASE("header_timeout: a connection that sends nothing is answered 408 and closed") {
  auto limits = kNone;
  limits.header_timeout_ms = 200;
  ThreadedHttpServer server(echo, "127.0.0.1", limits);
  RawClient raw(server.port());
  auto responses = raw.read(1);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].status == 408);
  CHECK(raw.closed_by_peer());
}

TEST_CASE("idle_timeout: an idle keep-alive connection is closed, a busy one is not") {
  auto limits = kNone;
  limits.idle_timeout_ms = 200;
  auto held = std::make_shared<FakeRespond>();
  ThreadedHttpServer server(
      [held](const Request& request, FakeRespond respond) {
        if (request.path() == "/hold") {
          *held = std::move(respond);
          return;
        }
        echo(request, respond);
      },
      "127.0.0.1", limits);

  RawClient idle(server.port());
  idle.send(get("/a"));
  REQUIRE(idle.read(1).size() == 1);
  auto answered = std::chrono::steady_clock::now();
  CHECK(idle.closed_by_peer());
  CHECK(std::chrono::steady_clock::now() - answered >= std::chrono::milliseconds(150));

  // A request the handler has not answered yet is not idleness.
  RawClient busy(server.port());
  busy.send(get("/hold"));
  CHECK(busy.read(1, std::chrono::milliseconds(600)).empty());
  CHECK_FALSE(busy.closed_by_peer(std::chrono::milliseconds(0)));
}

TEST_CASE("max_header_bytes: larger headers are answered 431 and the connection closed") {
  auto limits = kNone;
  limits.max_header_bytes = 1024;
  ThreadedHttpServer server(echo, "127.0.0.1", limits);
  RawClient raw(server.port());
  raw.send("GET /a HTTP/1.1\r\nHost: x\r\nX-Small: " + std::string(500, 'y') + "\r\n\r\n");
  raw.send("GET /b HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'y') + "\r\n\r\n");
  auto responses = raw.read(2);
  REQUIRE(responses.size() == 2);
  CHECK(responses[0].status == 200);
  CHECK(responses[1].status == 431);
  CHECK(raw.closed_by_peer());
}

TEST_CASE("max_body_bytes: a larger Content-Length is answered 413 before the body is sent") {
  auto limits = kNone;
  limits.max_body_bytes = 1000;
  CountingEcho counting(limits);
  ThreadedHttpServer& server = counting.server;
  std::atomic<int>& calls = counting.calls;
  RawClient raw(server.port());
  raw.send("POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'x'));
  // Only the headers: the answer must come without the body.
  raw.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
  auto responses = raw.read(2);
  REQUIRE(responses.size() == 2);
  CHECK(responses[0].body == "POST /ok 1000 1");
  CHECK(responses[1].status == 413);
  CHECK(raw.closed_by_peer());
  CHECK(calls == 1);
}

TEST_CASE("max_body_bytes: a chunked body growing past it is answered 413") {
  auto limits = kNone;
  limits.max_body_bytes = 1000;
  ThreadedHttpServer server(echo, "127.0.0.1", limits);
  RawClient raw(server.port());
  const std::string chunk = "258\r\n" + std::string(600, 'x') + "\r\n";  // 0x258 = 600
  raw.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk);
  auto responses = raw.read(1);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].status == 413);
  CHECK(raw.closed_by_peer());
}

TEST_CASE("a malformed request line gets 400 and the connection is closed") {
  ThreadedHttpServer server(echo, "127.0.0.1", Server::Limits{});  // product defaults
  RawClient raw(server.port());
  raw.send("NOT AN HTTP REQUEST\r\n\r\n");
  auto responses = raw.read(1);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].status == 400);
  CHECK(raw.closed_by_peer());
}

TEST_CASE("malformed header fields and body framing get 400; the handler never sees them") {
  CountingEcho counting(Server::Limits{});  // product defaults
  const std::string post = "POST /bad HTTP/1.1\r\nHost: x\r\n";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"no colon", post + "NoColon\r\nContent-Length: 3\r\n\r\nabc"},
      {"a character outside tchar in a name", post + "X@Y: 1\r\nContent-Length: 3\r\n\r\nabc"},
      {"an empty name", post + ": 1\r\nContent-Length: 3\r\n\r\nabc"},
      {"a control character in a value", post + "X-A: a\x7fz\r\nContent-Length: 3\r\n\r\nabc"},
      {"a non-numeric Content-Length", post + "Content-Length: 3a\r\n\r\nabc"},
      {"two Content-Length headers", post + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"},
      {"Content-Length with chunked",
       post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
      {"a bad chunk size", post + "Transfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n0\r\n\r\n"},
      {"a chunk without its CRLF",
       post + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n"},
  };
  for (const auto& one : cases) {
    const std::string& what = one.first;  // (clang 14 cannot capture a structured binding)
    const std::string& bytes = one.second;
    CAPTURE(what);
    RawClient raw(counting.server.port());
    // A good request first on the same connection: answered before the bad one is refused.
    raw.send(get("/first") + bytes);
    auto responses = raw.read(2);
    REQUIRE(responses.size() == 2);
    CHECK(responses[0].status == 200);
    CHECK(responses[1].status == 400);
    CHECK(responses[1].header("Connection") == "close");
    CHECK(raw.closed_by_peer());
  }
  CHECK(counting.calls == static_cast<int>(cases.size()));  // the good ones only
}

}  // namespace auditrelay::http
