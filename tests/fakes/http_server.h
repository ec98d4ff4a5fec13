// A small HTTP/1.1 server for tests: a fake Elasticsearch, Splunk HEC or any receiver an
// output plugin talks to. It parses with http_parser, keeps connections alive, answers
// pipelined requests in order and lets a test delay, refuse or drop any answer.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

namespace auditrelay::fakes {

struct FakeRequest {
  std::string method;  // "GET", "POST", ...
  std::string url;     // path + query as received, e.g. "/_bulk?filter_path=errors"
  std::string path() const;
  // The percent-decoded value of a query parameter, "" if absent.
  std::string query_param(std::string_view name) const;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(std::string_view name) const;  // case-insensitive, "" if absent
  std::string body;                                 // raw bytes as received (NOT decompressed)
  uint64_t connection_id = 0;                       // 1, 2, ... per accepted connection
};

struct FakeResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added for you
  std::string body;
  uint64_t delay_ms = 0;  // answer after this long (slow receiver)
  bool drop = false;      // close the connection without answering (dropped connection)
};

class HttpConnection;

// Runs on the given libuv loop; the handler is called on that loop's thread. Destroy it on
// that thread too, then let the loop run so that libuv can finish closing the sockets.
class HttpServer {
 public:
  // `respond` must be called once, on the loop thread, now or later; responses go out in
  // request order per connection. Calls after the connection closed are ignored.
  using Respond = std::function<void(FakeResponse)>;
  using Handler = std::function<void(const FakeRequest&, Respond respond)>;

  HttpServer(uv_loop_t* loop, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Port 0 = ephemeral; returns the bound port. Throws std::runtime_error. Ignores SIGPIPE
  // process-wide, as a server writing to clients that may vanish must.
  int listen(const std::string& host, int port);
  // Closes the listening socket (clients then get "connection refused") and every open
  // connection. listen() may be called again afterwards, on the same port.
  void stop_listening();
  uint64_t connections_accepted() const { return connections_accepted_.load(); }

 private:
  friend class HttpConnection;
  static void on_connection(uv_stream_t* listener, int status);
  void forget(HttpConnection* connection) { connections_.erase(connection); }
  void close_connections();

  uv_loop_t* loop_;
  Handler handler_;
  uv_tcp_t* listener_ = nullptr;
  std::unordered_set<HttpConnection*> connections_;
  uint64_t next_connection_id_ = 0;
  std::atomic<uint64_t> connections_accepted_{0};
};

// A server on its own thread and loop, for in-process tests.
class ThreadedHttpServer {
 public:
  explicit ThreadedHttpServer(HttpServer::Handler handler, const std::string& host = "127.0.0.1");
  ~ThreadedHttpServer();  // stops the loop and joins
  ThreadedHttpServer(const ThreadedHttpServer&) = delete;
  ThreadedHttpServer& operator=(const ThreadedHttpServer&) = delete;

  int port() const { return port_; }
  uint64_t connections_accepted() const;  // thread-safe

 private:
  uv_loop_t loop_{};
  std::unique_ptr<HttpServer> server_;
  uv_async_t* stop_ = nullptr;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace auditrelay::fakes
