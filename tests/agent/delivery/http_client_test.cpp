// HttpClient against a real peer: the fake HTTP server of tests/fakes. The TLS tests are in
// http_client_tls_test.cpp.
#include "agent/delivery/http_client.h"

#include <doctest/doctest.h>
#include <uv.h>
#include <zlib.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/agent/delivery/gunzip.h"
#include "tests/agent/delivery/http_client_fixture.h"
#include "tests/fakes/fake_http_server.h"

namespace auditrelay::delivery {
namespace {

using fakes::FakeRespond;
using fakes::FakeResponse;
using fakes::ThreadedHttpServer;
using test::contains;
using test::fetch;
using test::gunzip;
using test::request;
using test::TestLoop;

// The requests a server saw (on its own thread), read from the test's.
class Seen {
 public:
  void add(const http::Request& request) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  http::Request at(size_t i) const {
    std::lock_guard lock(mutex_);
    return requests_.at(i);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<http::Request> requests_;
};

// A server that records each request and answers with `answer(request)`.
std::unique_ptr<ThreadedHttpServer> serve(
    Seen& seen, std::function<FakeResponse(const http::Request&)> answer) {
  return std::make_unique<ThreadedHttpServer>(
      [&seen, answer](const http::Request& request, const FakeRespond& respond) {
        seen.add(request);
        respond(answer(request));
      });
}

std::string url(const ThreadedHttpServer& server, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + path;
}

// Every byte value, CR LF pairs included, in a body larger than a socket buffer.
std::string binary_body(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return s + "\r\n\r\n\0end";
}

// uv_poll handles watching a descriptor now: the client's sockets (servers use uv_tcp).
size_t active_polls(uv_loop_t* loop) {
  size_t n = 0;
  uv_walk(
      loop,
      [](uv_handle_t* h, void* count) {
        if (h->type == UV_POLL && uv_is_active(h) != 0 && uv_is_closing(h) == 0)
          ++*static_cast<size_t*>(count);
      },
      &n);
  return n;
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
  auto server = serve(seen, [](const http::Request&) {
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
  http::Request got = seen.at(0);
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
  auto server = serve(seen, [](const http::Request&) { return ok(); });
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
  auto server = serve(seen, [](const http::Request&) { return ok(); });
  HttpClient client(loop.get(), {});
  for (int i = 0; i < 20; ++i) {
    auto response = fetch(loop, client, request("POST", url(*server, "/seq"), "record"));
    REQUIRE(response.status == 200);
  }
  CHECK(server->connections_accepted() == 1);
  CHECK(seen.at(19).connection_id == seen.at(0).connection_id);
}

TEST_CASE("a kept-alive connection the server closes is replaced, idle in the pool or not") {
  // The server on the client's loop, so that its open connections can be counted here.
  TestLoop loop;
  bool close_after_answer = false;
  SUBCASE("closed while it waits in the client's pool") {}
  SUBCASE("closed after its answer (Connection: close)") {
    close_after_answer = true;
  }
  http::Server server(
      loop.get(),
      [&](const http::Request&, const http::Server::Respond& respond) {
        http::Response answer;
        answer.body = "ok";
        answer.close = close_after_answer;
        respond(std::move(answer));
      },
      fakes::kNoLimits);
  const int port = server.listen("127.0.0.1", 0);
  const std::string to = "http://127.0.0.1:" + std::to_string(port);
  HttpClient client(loop.get(), {});
  for (int i = 0; i < 3; ++i) {
    HttpResponse response = fetch(loop, client, request("POST", to, "record"));
    INFO("request " << i << ": " << response.error);
    REQUIRE(response.status == 200);
    if (!close_after_answer) {
      // Closes every connection, the one in the client's pool too, and listens again.
      server.stop_listening();
      REQUIRE(server.listen("127.0.0.1", port) == port);
    }
    // Then the client watches no socket: one curl closed has no poll left, and a pooled one
    // the server closed stops being watched (it would wake the loop for good otherwise).
    REQUIRE(loop.run_until(
        [&] { return server.connections_open() == 0 && active_polls(loop.get()) == 0; }));
  }
  CHECK(server.connections_accepted() == 3);
}

TEST_CASE("clients on one loop: one's sockets closed by curl, the other's with its client") {
  // The first client's connections end with "Connection: close"; each second client is
  // destroyed with its connection in the pool. Every poll must be closed with its socket.
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const http::Request& r) {
    FakeResponse answer = ok();
    answer.close = r.path() == "/close";
    return answer;
  });
  HttpClient first(loop.get(), {});
  for (int round = 0; round < 3; ++round) {
    REQUIRE(fetch(loop, first, request("POST", url(*server, "/close"), "x")).status == 200);
    {
      HttpClient second(loop.get(), {});
      REQUIRE(fetch(loop, second, request("POST", url(*server, "/"), "x")).status == 200);
    }
    CHECK(active_polls(loop.get()) == 0);
  }
  CHECK(server->connections_accepted() == 6);
}

TEST_CASE("50 concurrent requests all complete, over at most max_connections_per_host") {
  TestLoop loop;
  Seen seen;
  auto server = serve(seen, [](const http::Request& r) { return ok(r.path()); });
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
  auto server = serve(seen, [](const http::Request&) {
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
  http::Server server(loop.get(), [](const http::Request&, const http::Server::Respond& respond) {
    respond(ok());
  });
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
  auto server = serve(seen, [](const http::Request&) {
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
  auto server = serve(seen, [](const http::Request&) {
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
  auto server = serve(seen, [](const http::Request&) {
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
  auto server = serve(seen, [](const http::Request&) { return ok(); });
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
  auto server = serve(seen, [](const http::Request&) {
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
  auto server = serve(seen, [](const http::Request&) { return ok(); });
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
  auto server = serve(seen, [](const http::Request&) {
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
  auto server = serve(seen, [](const http::Request&) { return ok(); });
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
  auto server = serve(seen, [](const http::Request& r) {
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
  auto server = serve(seen, [](const http::Request&) { return ok(); });
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

}  // namespace auditrelay::delivery
