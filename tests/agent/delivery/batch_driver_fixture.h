// A BatchDriver on the test's loop feeding a scripted receiver: the fixture of the delivery
// tests (batch_driver_test.cpp, batch_limits_test.cpp).
#pragma once

#include <doctest/doctest.h>
#include <uv.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agent/delivery/batch_driver.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::delivery::testing {

using auditrelay::test::TempDir;

using Ids = std::vector<std::string>;

// A receiver scripted by the test: the body is the ids of the documents, one per line; the
// answer comes from `answer` after `delay_ms(request number)` on the loop.
struct Script {
  std::vector<Ids> requests;
  std::function<Outcome(const Ids& ids, size_t request)> answer = [](const Ids&, size_t) {
    return Outcome{};
  };
  std::function<uint64_t(size_t request)> delay_ms = [](size_t) { return 0; };
  std::function<bool(std::string_view id)> wants = [](std::string_view) { return true; };
  size_t max_in_flight = 0;
  size_t in_flight = 0;
  // Confirming later (like Splunk's indexer acknowledgement): each request is answered at
  // once, and its outcome waits here until the test confirms it.
  bool confirm_later = false;
  size_t max_awaiting = 0;
  std::vector<std::function<void()>> unconfirmed;
};

class ScriptedOutput : public BatchOutput {
 public:
  ScriptedOutput(uv_loop_t* loop, std::shared_ptr<Script> script)
      : loop_(loop), script_(std::move(script)) {}

  bool wants(const DocumentView& d) const override { return script_->wants(d.id); }

  size_t max_awaiting() const override {
    return script_->confirm_later ? script_->max_awaiting : BatchOutput::max_awaiting();
  }

  std::string encode(const DocumentBatch& batch, std::span<const uint32_t> items) override {
    std::string body;
    for (uint32_t i : items) {
      body.append(batch[i].id);
      body.push_back('\n');
    }
    return body;
  }

  void send(std::shared_ptr<const std::string> body, size_t count,
            std::function<void(Outcome)> done, std::function<void()> answered) override {
    Ids ids;
    std::istringstream in(*body);
    for (std::string line; std::getline(in, line);)
      ids.push_back(line);
    REQUIRE(ids.size() == count);
    size_t n = script_->requests.size();
    script_->requests.push_back(ids);
    script_->max_in_flight = std::max(script_->max_in_flight, ++script_->in_flight);
    auto timer = std::make_unique<loop::Timer>(loop_);
    timer->start(
        std::max<uint64_t>(1, script_->delay_ms(n)), 0,
        [this, ids, n, done = std::move(done), answered = std::move(answered)] {
          --script_->in_flight;
          if (!script_->confirm_later) {
            done(script_->answer(ids, n));
            return;
          }
          script_->unconfirmed.push_back([this, done, ids, n] { done(script_->answer(ids, n)); });
          answered();
        });
    timers_.push_back(std::move(timer));
  }

 private:
  uv_loop_t* loop_;
  std::shared_ptr<Script> script_;
  std::vector<std::unique_ptr<loop::Timer>> timers_;
};

struct Fixture {
  TempDir dir;
  uv_loop_t loop{};
  MetricsRegistry metrics;
  std::unique_ptr<buffer::DiskQueue> queue;
  std::shared_ptr<Script> script = std::make_shared<Script>();
  DeliveryOptions options;
  Clock::time_point now = Clock::from_time_t(1'700'000'000);
  std::unique_ptr<BatchDriver> driver;

  Fixture() {
    uv_loop_init(&loop);
    buffer::QueueOptions q;
    q.dir = dir / "buffer";
    q.sync = buffer::SyncMode::kNone;
    queue = buffer::DiskQueue::open(q, {"es"});
    options.max_records = 100;
    options.concurrency = 3;
    options.retry.initial = std::chrono::milliseconds(1);
    options.retry.max = std::chrono::milliseconds(1);
    options.dead_letter.path = dir / "dead_letter.ndjson";
  }
  ~Fixture() {
    driver.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  // Builds the driver and starts it.
  void start() {
    driver = std::make_unique<BatchDriver>(
        &loop, "es", std::make_unique<ScriptedOutput>(&loop, script), options, *queue, metrics,
        [] { return 0.0; }, [this] { return now; });
    driver->start();
  }
  // Builds the driver, delivers everything buffered (--once), and returns when done.
  void deliver_all() {
    start();
    bool drained = false;
    driver->drain([&] { drained = true; }, /*until_caught_up=*/true);
    uv_run(&loop, UV_RUN_DEFAULT);
    REQUIRE(drained);
  }
  // Runs the loop until `condition` holds, with a deadline.
  bool run_until(const std::function<bool()>& condition) {
    return test::wait_until([&] {
      uv_run(&loop, UV_RUN_NOWAIT);
      return condition();
    });
  }
  std::multiset<std::string> sent_once() const {
    std::multiset<std::string> all;
    for (const Ids& r : script->requests)
      all.insert(r.begin(), r.end());
    return all;
  }
  uint64_t end() { return queue->stats().next_seq; }
  bool has_metric(const std::string& line) const {
    return metrics.render_prometheus().find(line + "\n") != std::string::npos;
  }
};

}  // namespace auditrelay::delivery::testing
