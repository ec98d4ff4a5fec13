#include "agent/core/pipeline.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <map>
#include <memory>
#include <vector>

#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::read_file;
using auditrelay::test::TempDir;

namespace {

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
  std::unique_ptr<buffer::DiskQueue> queue;
  std::unique_ptr<Pipeline> pipeline;
  int appended_calls = 0;

  explicit Fixture(buffer::SyncMode sync = buffer::SyncMode::kBatch, uint64_t max_bytes = 1 << 30) {
    uv_loop_init(&loop);
    buffer::QueueOptions q;
    q.dir = dir / "buffer";
    q.sync = sync;
    q.max_bytes = max_bytes;
    queue = buffer::DiskQueue::open(q, {"out"});
    PipelineOptions o;
    o.dead_letter_path = dir / "dead_letter.ndjson";
    o.sync = sync;
    o.sync_interval = std::chrono::milliseconds(0);
    pipeline = std::make_unique<Pipeline>(&loop, o, *queue, metrics, [this] { ++appended_calls; });
  }
  ~Fixture() {
    pipeline.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  // Every document in the queue, in order.
  std::vector<std::string> queued_ids() {
    std::vector<std::string> ids;
    uint64_t seq = queue->cursor("out");
    while (auto frame = queue->read(seq)) {
      for (size_t i = 0; i < frame->documents.size(); ++i) {
        ids.emplace_back(frame->documents[i].id);
      }
      seq = frame->next_seq;
    }
    return ids;
  }
};

}  // namespace

TEST_CASE("batches are appended to the buffer and acknowledged in order after the fsync") {
  for (auto sync : {buffer::SyncMode::kBatch, buffer::SyncMode::kAlways, buffer::SyncMode::kNone}) {
    Fixture f(sync);
    auto sink = f.pipeline->sink_for("in", Schema::kPolicyGateway);
    std::vector<int> acks;
    sink->submit(batch_of({kGood, kGood}), [&] { acks.push_back(1); });
    sink->submit(batch_of({kGood, "not json", kGood}), [&] { acks.push_back(2); });
    sink->submit(batch_of({kGood}), [&] { acks.push_back(3); });
    CHECK_FALSE(f.pipeline->idle());
    uv_run(&f.loop, UV_RUN_DEFAULT);
    CHECK(acks == std::vector<int>{1, 2, 3});
    CHECK(f.pipeline->idle());
    CHECK(f.queued_ids().size() == 5);
    CHECK(f.appended_calls == 3);
    std::string dead = read_file(f.dir / "dead_letter.ndjson");
    CHECK(dead.find("\"reason\":\"invalid_json\"") != std::string::npos);
    CHECK(f.metrics.render_prometheus().find(
              "auditrelay_records_rejected_total{reason=\"invalid_json\"} 1") != std::string::npos);
  }
}

TEST_CASE("many batches at once: normalized ahead in parallel, stored and acknowledged in order") {
  Fixture f;
  auto sink = f.pipeline->sink_for("in", Schema::kPolicyGateway);
  std::vector<int> acks;
  std::vector<std::string> expected;
  for (int b = 0; b < 50; ++b) {
    std::vector<std::string> lines;
    for (int i = 0; i < 20; ++i) {
      std::string id = "b" + std::to_string(b) + "-" + std::to_string(i);
      expected.push_back(id);
      lines.push_back(R"({"id":")" + id + R"(","policy_id":"p","decision":"allow",)" +
                      R"("created_at":"2026-01-16T18:22:11Z"})");
    }
    sink->submit(batch_of(lines), [&acks, b] { acks.push_back(b); });
  }
  uv_run(&f.loop, UV_RUN_DEFAULT);
  REQUIRE(acks.size() == 50);
  for (int b = 0; b < 50; ++b)
    CHECK(acks[static_cast<size_t>(b)] == b);
  CHECK(f.queued_ids() == expected);
}

TEST_CASE("a batch whose records are all rejected is still acknowledged, nothing appended") {
  Fixture f;
  auto sink = f.pipeline->sink_for("in", Schema::kPolicyGateway);
  int acks = 0;
  sink->submit(batch_of({"[]", "{}"}), [&] { ++acks; });
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(acks == 1);
  CHECK(f.queued_ids().empty());
  CHECK(f.appended_calls == 0);
}

TEST_CASE("records in per input and documents by decision are counted once appended") {
  Fixture f;
  auto sink = f.pipeline->sink_for("gw", Schema::kPolicyGateway);
  auto record = [](const char* decision, int n) {
    return std::string(R"({"policy_id":"p","decision":")") + decision +
           R"(","created_at":"2026-01-16T18:22:1)" + std::to_string(n) + R"(Z"})";
  };
  sink->submit(batch_of({record("block", 1), record("deny", 2), record("warn", 3),
                         record("redact", 4), record("allow", 5), record("whatever", 6), "{}"}),
               [] {});
  uv_run(&f.loop, UV_RUN_DEFAULT);
  const std::string metrics = f.metrics.render_prometheus();
  auto count = [&](const std::string& series) {
    const std::string line = "\n" + series + " ";
    size_t at = metrics.find(line);
    return at == std::string::npos
               ? std::string("absent")
               : metrics.substr(at + line.size(), metrics.find('\n', at + 1) - at - line.size());
  };
  const std::string dataset = R"(,dataset="policy_gateway.audit"})";
  CHECK(count(R"(auditrelay_policy_decisions_total{decision="blocked")" + dataset) == "2");
  CHECK(count(R"(auditrelay_policy_decisions_total{decision="warned")" + dataset) == "1");
  CHECK(count(R"(auditrelay_policy_decisions_total{decision="rewritten")" + dataset) == "1");
  CHECK(count(R"(auditrelay_policy_decisions_total{decision="allowed")" + dataset) == "1");
  CHECK(count(R"(auditrelay_policy_decisions_total{decision="other")" + dataset) == "1");
  CHECK(count(R"(auditrelay_input_records_total{input="gw"})") == "7");  // the rejected one too
}

TEST_CASE("a full buffer (block) holds the acknowledgement until an output frees space") {
  Fixture f(buffer::SyncMode::kBatch, 1);  // full as soon as anything is in it
  auto sink = f.pipeline->sink_for("in", Schema::kPolicyGateway);
  std::vector<int> acks;
  sink->submit(batch_of({kGood}), [&] { acks.push_back(1); });
  sink->submit(batch_of({kGood}), [&] { acks.push_back(2); });
  // A check on the loop: once the second batch is waiting for room, deliver the first (move
  // the output's cursor past it), which frees its segment.
  uv_timer_t check{};
  uv_timer_init(&f.loop, &check);
  struct Ctx {
    Fixture* f;
    std::vector<int>* acks;
    bool freed = false;
  } ctx{&f, &acks};
  check.data = &ctx;
  uv_timer_start(
      &check,
      [](uv_timer_t* t) {
        auto* c = static_cast<Ctx*>(t->data);
        bool waiting = c->f->metrics.render_prometheus().find(
                           "auditrelay_buffer_full_waits_total 0") == std::string::npos;
        if (!c->freed && waiting && c->acks->size() == 1) {
          CHECK(c->f->queue->commit("out", c->f->queue->stats().next_seq) == "");
          c->freed = true;
        }
        if (c->acks->size() == 2) uv_timer_stop(t);
      },
      10, 10);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(ctx.freed);
  CHECK(acks == std::vector<int>{1, 2});
}

TEST_CASE("submit_all reports rejected records by index and reason once durable") {
  Fixture f;
  auto sink = f.pipeline->sink_for("in", Schema::kPolicyGateway);
  std::vector<SubmitResult> results;
  sink->submit_all(batch_of({kGood, "not json", kGood, "{}"}), {},
                   [&](SubmitResult r) { results.push_back(std::move(r)); });
  uv_run(&f.loop, UV_RUN_DEFAULT);
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].refused_full);
  REQUIRE(results[0].rejected.size() == 2);
  CHECK(results[0].rejected[0].first == 1);
  CHECK(results[0].rejected[0].second.rfind("invalid_json: ", 0) == 0);
  CHECK(results[0].rejected[1].first == 3);
  CHECK(f.queued_ids().size() == 2);
}

TEST_CASE("refuse_when_full: a full buffer refuses the batch at once; nothing of it is kept") {
  Fixture f(buffer::SyncMode::kBatch, 1);  // full as soon as anything is in it
  auto sink = f.pipeline->sink_for("in", Schema::kPolicyGateway);
  std::vector<std::pair<int, SubmitResult>> results;
  SubmitOptions refuse;
  refuse.refuse_when_full = true;
  sink->submit_all(batch_of({kGood}), refuse,
                   [&](SubmitResult r) { results.emplace_back(1, std::move(r)); });
  sink->submit_all(batch_of({kGood, "not json"}), refuse,
                   [&](SubmitResult r) { results.emplace_back(2, std::move(r)); });
  uv_run(&f.loop, UV_RUN_DEFAULT);
  // The refusal is answered at once, possibly ahead of the first batch's fsync.
  REQUIRE(results.size() == 2);
  std::map<int, SubmitResult> by_batch(results.begin(), results.end());
  CHECK_FALSE(by_batch[1].refused_full);
  CHECK(by_batch[2].refused_full);
  CHECK(by_batch[2].rejected.empty());
  CHECK(f.queued_ids().size() == 1);
  CHECK(f.pipeline->idle());
  // Its invalid record is not dead-lettered: the client sends the batch again.
  CHECK(read_file(f.dir / "dead_letter.ndjson").empty());
}
