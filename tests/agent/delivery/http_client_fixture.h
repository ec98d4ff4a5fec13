// What the HttpClient tests share: the client's loop, run with a deadline, and requests sent
// and answered in one call.
#pragma once

#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/delivery/http_client.h"

namespace auditrelay::test {

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
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20),
                 std::chrono::milliseconds recheck = std::chrono::milliseconds(0)) {
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
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
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

inline delivery::HttpRequest request(std::string method, std::string to,
                                     std::optional<std::string> body = {},
                                     std::vector<std::string> headers = {}) {
  delivery::HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(to);
  if (body) r.body = std::make_shared<const std::string>(std::move(*body));
  r.headers = std::move(headers);
  return r;
}

// Sends one request and runs the loop until its answer.
inline delivery::HttpResponse fetch(TestLoop& loop, delivery::HttpClient& client,
                                    delivery::HttpRequest r) {
  std::optional<delivery::HttpResponse> got;
  client.send(std::move(r), [&](delivery::HttpResponse response) { got = std::move(response); });
  REQUIRE(loop.run_until([&] { return got.has_value(); }));
  return std::move(*got);
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace auditrelay::test
