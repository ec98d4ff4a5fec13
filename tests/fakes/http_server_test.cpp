// The test HTTP server itself: keep-alive, pipelining, Expect, chunked bodies, bad requests,
// large bodies, delays, drops and stop/listen, seen from real clients.
#include "tests/fakes/http_server.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/raw_client.h"

namespace auditrelay::fakes {
namespace {

std::string base(const ThreadedHttpServer& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

// Answers "<method> <path> <body size> <connection id>", with faults chosen by path.
void echo(const FakeRequest& request, const HttpServer::Respond& respond) {
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
  auto saved = std::make_shared<HttpServer::Respond>();
  ThreadedHttpServer server([&, saved](const FakeRequest& request, HttpServer::Respond respond) {
    calls++;
    if (request.path() == "/hold") {
      *saved = std::move(respond);  // never answered while the client waits
      return;
    }
    if (*saved) (*saved)(FakeResponse{.status = 200});  // the first client is gone: ignored
    respond(FakeResponse{.status = 204});
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
    HttpServer server(&loop, echo);
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

}  // namespace auditrelay::fakes
