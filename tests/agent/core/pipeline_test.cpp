#include "agent/core/pipeline.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <atomic>
#include <memory>
#include <vector>

#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::read_file;
using auditrelay::test::TempDir;

namespace {

// Records what it was given; fails its first `failures` writes.
class RecordingOutput : public Output {
 public:
  struct State {
    std::vector<size_t> batch_sizes;  // of successful writes
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
    state_->batch_sizes.push_back(batch.size());
    return {};
  }

 private:
  std::shared_ptr<State> state_;
};

RawBatch batch_of(const std::vector<std::string>& lines) {
  RawBatch b;
  uint32_t src = b.add_source({"test.jsonl", "1:abc"});
  uint64_t pos = 0;
  for (const auto& l : lines) {
    b.add_copy(src, pos, l);
    pos += l.size() + 1;
  }
  return b;
}

const std::string kGood =
    R"({"policy_id":"p","decision":"allow","created_at":"2026-01-16T18:22:11Z"})";

struct Fixture {
  TempDir dir;
  uv_loop_t loop{};
  MetricsRegistry metrics;
  std::shared_ptr<RecordingOutput::State> a = std::make_shared<RecordingOutput::State>();
  std::shared_ptr<RecordingOutput::State> b = std::make_shared<RecordingOutput::State>();
  std::unique_ptr<Pipeline> pipeline;

  Fixture() {
    uv_loop_init(&loop);
    std::vector<PipelineOutput> outputs;
    outputs.push_back({"a", std::make_unique<RecordingOutput>(a)});
    outputs.push_back({"b", std::make_unique<RecordingOutput>(b)});
    pipeline = std::make_unique<Pipeline>(&loop, NormalizeOptions{}, std::move(outputs),
                                          dir / "dead_letter.ndjson", metrics);
  }
  ~Fixture() {
    pipeline.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
};

}  // namespace

TEST_CASE("batches are acknowledged in order, after every output took them") {
  Fixture f;
  auto sink = f.pipeline->sink_for("in", Schema::kPolicyGateway);
  std::vector<int> acks;
  sink->submit(batch_of({kGood, kGood}), [&] { acks.push_back(1); });
  sink->submit(batch_of({kGood, "not json", kGood}), [&] { acks.push_back(2); });
  sink->submit(batch_of({kGood}), [&] { acks.push_back(3); });
  CHECK_FALSE(f.pipeline->idle());
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(acks == std::vector<int>{1, 2, 3});
  CHECK(f.pipeline->idle());
  CHECK(f.a->batch_sizes == std::vector<size_t>{2, 2, 1});
  CHECK(f.b->batch_sizes == std::vector<size_t>{2, 2, 1});
  std::string dead = read_file(f.dir / "dead_letter.ndjson");
  CHECK(dead.find("\"reason\":\"invalid_json\"") != std::string::npos);
  CHECK(f.metrics.render_prometheus().find(
            "auditrelay_records_rejected_total{reason=\"invalid_json\"} 1") != std::string::npos);
}

TEST_CASE("a failed write is retried for the output that failed only; the ack waits for it") {
  Fixture f;
  f.b->failures = 1;
  auto sink = f.pipeline->sink_for("in", Schema::kPolicyGateway);
  int acks = 0;
  sink->submit(batch_of({kGood}), [&] { ++acks; });
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(acks == 1);
  CHECK(f.a->attempts == 1);  // not written twice
  CHECK(f.b->attempts == 2);
  CHECK(f.b->batch_sizes == std::vector<size_t>{1});
  CHECK(f.metrics.render_prometheus().find("auditrelay_pipeline_write_errors_total 1") !=
        std::string::npos);
}

TEST_CASE("a batch whose records are all rejected is still acknowledged") {
  Fixture f;
  auto sink = f.pipeline->sink_for("in", Schema::kPolicyGateway);
  int acks = 0;
  sink->submit(batch_of({"[]", "{}"}), [&] { ++acks; });
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(acks == 1);
  CHECK(f.a->attempts == 0);  // nothing to write
}
