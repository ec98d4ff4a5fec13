#include "agent/core/output_driver.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <memory>
#include <vector>

#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::TempDir;

namespace {

// Records what it was given; fails its first `failures` writes.
class RecordingOutput : public Output {
 public:
  struct State {
    std::vector<std::string> ids;
    int attempts = 0;
    int failures = 0;
  };
  explicit RecordingOutput(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::string write(const DocumentBatch& batch) override {
    ++state_->attempts;
    if (state_->failures > 0) {
      --state_->failures;
      return "disk full";
    }
    for (size_t i = 0; i < batch.size(); ++i)
      state_->ids.emplace_back(batch[i].id);
    return {};
  }

 private:
  std::shared_ptr<State> state_;
};

DocumentBatch docs(int from, int n) {
  DocumentBatch b;
  for (int i = from; i < from + n; ++i)
    b.add("id" + std::to_string(i), "logs-a-b", "{}");
  return b;
}

struct Fixture {
  TempDir dir;
  uv_loop_t loop{};
  MetricsRegistry metrics;
  Health health{HealthSettings{.output_failing_after = std::chrono::milliseconds(0)}};
  std::unique_ptr<buffer::DiskQueue> queue;
  std::shared_ptr<RecordingOutput::State> state = std::make_shared<RecordingOutput::State>();
  std::unique_ptr<OutputDriver> driver;

  Fixture() {
    uv_loop_init(&loop);
    buffer::QueueOptions q;
    q.dir = dir / "buffer";
    queue = buffer::DiskQueue::open(q, {"out"});
    driver = std::make_unique<OutputDriver>(&loop, "out", std::make_unique<RecordingOutput>(state),
                                            *queue, metrics, &health);
  }
  ~Fixture() {
    driver.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
};

}  // namespace

TEST_CASE("the driver delivers what is buffered, in order, and commits the cursor") {
  Fixture f;
  f.queue->append(docs(0, 3));
  f.queue->append(docs(3, 2));
  bool drained = false;
  f.driver->start();
  f.driver->drain([&] { drained = true; }, /*until_caught_up=*/true);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(drained);
  CHECK(f.state->ids == std::vector<std::string>{"id0", "id1", "id2", "id3", "id4"});
  CHECK(f.queue->cursor("out") == f.queue->stats().next_seq);
}

TEST_CASE("a failed write is retried; the cursor only moves once it succeeds") {
  Fixture f;
  f.state->failures = 1;
  f.queue->append(docs(0, 2));
  uint64_t before = f.queue->cursor("out");
  f.driver->start();
  uv_run(&f.loop, UV_RUN_NOWAIT);
  // The first attempt has failed (or is under way): nothing committed yet.
  CHECK(f.queue->cursor("out") == before);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(f.state->attempts == 2);
  CHECK(f.state->ids == std::vector<std::string>{"id0", "id1"});
  CHECK(f.queue->cursor("out") == f.queue->stats().next_seq);
}

TEST_CASE("failing writes make the agent unhealthy until a write succeeds") {
  Fixture f;
  f.state->failures = 1'000'000;
  f.queue->append(docs(0, 2));
  f.driver->start();
  while (f.health.report().ok)  // until the first failure is handled
    uv_run(&f.loop, UV_RUN_ONCE);
  Health::Report report = f.health.report();
  REQUIRE(report.reasons.size() == 1);
  CHECK(report.reasons[0].rfind("output out: failing for ", 0) == 0);
  CHECK(report.reasons[0].find("disk full") != std::string::npos);
  f.state->failures = 0;
  bool drained = false;
  f.driver->drain([&] { drained = true; }, /*until_caught_up=*/true);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(drained);
  CHECK(f.state->ids.size() == 2);
  CHECK(f.health.report().ok);
}

TEST_CASE("records appended later are delivered after a wake-up") {
  Fixture f;
  f.driver->start();
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(f.state->ids.empty());
  f.queue->append(docs(0, 1));
  f.driver->wake();
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(f.state->ids == std::vector<std::string>{"id0"});
}

TEST_CASE("stopping without catching up finishes the frame under way and leaves the rest") {
  Fixture f;
  f.queue->append(docs(0, 3));
  f.queue->append(docs(3, 2));
  bool drained = false;
  f.driver->start();  // a frame is being delivered
  f.driver->drain([&] { drained = true; }, /*until_caught_up=*/false);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(drained);
  CHECK(f.state->ids == std::vector<std::string>{"id0", "id1", "id2"});
  CHECK(f.queue->cursor("out") == 3);  // the second frame waits in the queue
}
