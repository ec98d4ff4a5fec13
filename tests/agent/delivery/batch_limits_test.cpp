// The BatchDriver's limits other than max_records: batch.max_bytes cuts batches and requests,
// batch.flush_interval sends a partly filled batch; and the documents it dead-letters are
// counted. A scripted receiver on the test's loop (batch_driver_fixture.h).
#include <doctest/doctest.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <sstream>

#include "agent/delivery/batch_reading.h"
#include "tests/agent/delivery/batch_driver_fixture.h"

using namespace auditrelay;
using namespace auditrelay::delivery;
using namespace auditrelay::delivery::testing;

namespace {

// Documents "id<from>".., each with a JSON of exactly `json_bytes` bytes.
DocumentBatch docs(int from, int n, size_t json_bytes = 100) {
  DocumentBatch b;
  for (int i = from; i < from + n; ++i) {
    std::string json = R"({"n":)" + std::to_string(i) + R"(,"pad":")";
    REQUIRE(json.size() + 2 <= json_bytes);
    json.append(json_bytes - json.size() - 2, 'x');
    json += "\"}";
    b.add("id" + std::to_string(i), "logs-a-b", json);
  }
  return b;
}

}  // namespace

TEST_CASE("max_bytes: a batch is read up to max_bytes, a request holds at most max_bytes") {
  Fixture f;
  f.queue->append(docs(10, 30));  // one frame of 30 documents, 100 JSON bytes each
  const BatchLimits limits{100, 1000};
  FrameCarry carry;
  uint64_t next_seq = 0;
  std::vector<size_t> sizes;
  bool hit_end = false;
  struct AllOf : BatchOutput {
    std::string encode(const DocumentBatch&, std::span<const uint32_t>) override { return ""; }
    void send(std::shared_ptr<const std::string>, size_t, std::function<void(Outcome)>,
              std::function<void()>) override {}
  } output;
  while (!hit_end) {
    DocumentBatch batch;
    hit_end = fill_from_queue(*f.queue, next_seq, batch, limits, carry);
    if (batch.empty()) break;
    sizes.push_back(batch.size());
    // Cut well before max_records; only its last document may cross max_bytes.
    DocumentView last = batch[batch.size() - 1];
    CHECK(batch.bytes() - last.id.size() - last.index.size() - last.json.size() < limits.max_bytes);
    for (const auto& request : split_into_requests(batch, output, limits)) {
      uint64_t json = 0;
      for (uint32_t i : request)
        json += batch[i].json.size();
      CHECK(json <= limits.max_bytes);
    }
  }
  CHECK(next_seq == 30);
  CHECK(sizes.size() >= 3);  // 3000 bytes of JSON alone: at least three batches
  size_t total = 0;
  for (size_t s : sizes) {
    CHECK(s < 30);
    total += s;
  }
  CHECK(total == 30);
}

TEST_CASE("max_bytes: the driver sends requests of at most max_bytes; a larger document alone") {
  Fixture f;
  f.options.max_bytes = 1000;
  f.queue->append(docs(0, 25));
  f.queue->append(docs(25, 1, 1500));  // larger than max_bytes by itself
  f.queue->append(docs(26, 4));
  f.deliver_all();
  std::multiset<std::string> sent = f.sent_once();
  CHECK(sent.size() == 30);
  CHECK(std::set<std::string>(sent.begin(), sent.end()).size() == 30);
  bool big_alone = false;
  for (const Ids& r : f.script->requests) {
    CAPTURE(r.size());
    const bool has_big = std::find(r.begin(), r.end(), "id25") != r.end();
    if (has_big) {
      big_alone = r.size() == 1;
    } else {
      CHECK(r.size() * 100 <= 1000);  // every other document has 100 JSON bytes
    }
  }
  CHECK(big_alone);
  CHECK(f.script->requests.size() >= 5);  // 2900 bytes in 100-byte documents, and the big one
  CHECK(f.queue->cursor("es") == 30);
  CHECK(test::read_lines(f.dir / "dead_letter.ndjson").empty());
}

TEST_CASE("flush_interval: a partly filled batch waits while another is in flight, then goes") {
  Fixture f;
  f.options.max_records = 10;
  f.options.concurrency = 1;
  f.options.flush_interval = std::chrono::milliseconds(200);
  f.script->confirm_later = true;  // the first batch stays in flight until confirmed
  f.script->max_awaiting = 4;
  f.queue->append(docs(0, 10));
  f.start();
  REQUIRE(f.run_until([&] { return f.script->unconfirmed.size() == 1; }));
  CHECK(f.script->requests.size() == 1);

  // Three more records: too few for a batch of 10, so they wait for the flush timer.
  f.queue->append(docs(10, 3));
  const auto woken = std::chrono::steady_clock::now();
  f.driver->wake();
  REQUIRE(f.run_until([&] { return f.script->requests.size() == 2; }));
  const auto waited = std::chrono::steady_clock::now() - woken;
  CHECK(f.script->requests[1] == Ids{"id10", "id11", "id12"});
  // Never before the interval (with a margin for libuv's cached clock).
  CHECK(waited >= std::chrono::milliseconds(150));

  bool drained = false;
  f.driver->drain([&] { drained = true; }, /*until_caught_up=*/true);
  size_t confirmed = 0;
  CHECK(f.run_until([&] {
    while (confirmed < f.script->unconfirmed.size())
      f.script->unconfirmed[confirmed++]();
    return drained;
  }));
  CHECK(f.queue->cursor("es") == 13);
}

TEST_CASE("flush_interval: a partly filled batch goes at once when nothing is in flight") {
  Fixture f;
  f.options.max_records = 10;
  f.options.flush_interval = std::chrono::hours(1);
  f.script->confirm_later = true;
  f.script->max_awaiting = 4;
  f.queue->append(docs(0, 3));
  f.start();
  REQUIRE(f.run_until([&] { return f.script->requests.size() == 1; }));
  CHECK(f.script->requests[0] == Ids{"id0", "id1", "id2"});
  // Another partial batch behind one in flight waits (an hour); once the first completes,
  // nothing is in flight and it goes at once.
  REQUIRE(f.run_until([&] { return f.script->unconfirmed.size() == 1; }));
  f.queue->append(docs(3, 2));
  f.driver->wake();
  f.script->unconfirmed[0]();
  REQUIRE(f.run_until([&] { return f.script->requests.size() == 2; }));
  CHECK(f.script->requests[1] == Ids{"id3", "id4"});
  REQUIRE(f.run_until([&] { return f.script->unconfirmed.size() == 2; }));
  f.script->unconfirmed[1]();
  CHECK(f.run_until([&] { return f.queue->cursor("es") == 5; }));
}

TEST_CASE("documents dead-lettered are counted once written, per output") {
  Fixture f;
  f.queue->append(docs(0, 6));
  f.script->answer = [](const Ids& ids, size_t request) {
    Outcome o;
    if (request > 0) return o;  // the retried item succeeds
    for (const std::string& id : ids) {
      ItemOutcome item;
      if (id == "id1" || id == "id4") {
        item = {Verdict::kRejected, 400, "mapper_parsing_exception", "failed to parse"};
      } else if (id == "id2") {
        item = {Verdict::kRetry, 500, "illegal_state_exception", "broken"};
      } else {
        item = {Verdict::kDelivered, 201, "", ""};
      }
      o.items.push_back(item);
    }
    return o;
  };
  f.deliver_all();
  REQUIRE(f.script->requests.size() == 2);
  CHECK(f.script->requests[1] == Ids{"id2"});
  CHECK(test::read_lines(f.dir / "dead_letter.ndjson").size() == 2);
  CHECK(f.has_metric("# TYPE auditrelay_output_documents_dead_lettered_total counter"));
  CHECK(f.has_metric("auditrelay_output_documents_dead_lettered_total{output=\"es\"} 2"));
  CHECK(f.has_metric("auditrelay_output_documents_delivered_total{output=\"es\"} 4"));
  CHECK(f.has_metric("auditrelay_output_documents_retried_total{output=\"es\"} 1"));
}

TEST_CASE("retry_exhausted and request_too_large count as dead-lettered too") {
  Fixture f;
  f.options.max_records = 2;
  f.options.retry.max_duration = std::chrono::milliseconds(10'000);
  f.queue->append(docs(0, 4));
  f.script->answer = [&f](const Ids& ids, size_t) {
    Outcome o;
    if (ids.front() == "id0" || ids.front() == "id1") {
      o.too_large = true;  // id0 and id1: split, then each alone still too large
      o.status = 413;
    } else {
      f.now += std::chrono::seconds(6);  // id2 and id3: refused until max_duration passes
      o.verdict = Verdict::kRetry;
      o.status = 503;
    }
    return o;
  };
  f.deliver_all();
  CHECK(test::read_lines(f.dir / "dead_letter.ndjson").size() == 4);
  CHECK(f.has_metric("auditrelay_output_documents_dead_lettered_total{output=\"es\"} 4"));
  CHECK(f.has_metric("auditrelay_output_documents_delivered_total{output=\"es\"} 0"));
  CHECK(f.queue->cursor("es") == 4);
}
