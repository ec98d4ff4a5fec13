// What the fake receivers add to http::Server: answers delayed on purpose (a slow receiver),
// and a server on its own thread for in-process tests.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

#include "agent/http/server.h"

namespace auditrelay::fakes {

// An answer, sent `delay_ms` after the handler gave it.
struct FakeResponse : http::Response {
  uint64_t delay_ms = 0;
};

using FakeRespond = std::function<void(FakeResponse)>;
using FakeHandler = std::function<void(const http::Request&, FakeRespond respond)>;

// Limits that change nothing for a fake: a fake must accept whatever a test throws at it.
inline constexpr http::Server::Limits kNoLimits{.max_connections = 0,
                                                .header_timeout_ms = 0,
                                                .idle_timeout_ms = 0,
                                                .max_header_bytes = 0,
                                                .max_body_bytes = 0};

// Turns a FakeHandler into a server's handler, holding back each delayed answer on a timer of
// `loop`. Destroy it with the server, on the loop thread: answers still held back are dropped.
class ResponseDelays {
 public:
  explicit ResponseDelays(uv_loop_t* loop) : loop_(loop) {}
  ~ResponseDelays();
  ResponseDelays(const ResponseDelays&) = delete;
  ResponseDelays& operator=(const ResponseDelays&) = delete;

  http::Server::Handler wrap(FakeHandler handler);

 private:
  struct Timer;
  static void close(Timer* timer);
  void later(uint64_t delay_ms, http::Server::Respond respond, http::Response response);

  uv_loop_t* loop_;
  std::unordered_set<Timer*> timers_;
};

// A server on its own thread and loop, for in-process tests.
class ThreadedHttpServer {
 public:
  explicit ThreadedHttpServer(FakeHandler handler, const std::string& host = "127.0.0.1",
                              http::Server::Limits limits = kNoLimits);
  ~ThreadedHttpServer();  // stops the loop and joins
  ThreadedHttpServer(const ThreadedHttpServer&) = delete;
  ThreadedHttpServer& operator=(const ThreadedHttpServer&) = delete;

  int port() const { return port_; }
  uint64_t connections_accepted() const;  // thread-safe
  uint64_t connections_refused() const;   // thread-safe

 private:
  uv_loop_t loop_{};
  std::unique_ptr<ResponseDelays> delays_;
  std::unique_ptr<http::Server> server_;
  uv_async_t* stop_ = nullptr;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace auditrelay::fakes
