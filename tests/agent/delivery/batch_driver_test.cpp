#include "agent/delivery/batch_driver.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "agent/delivery/batch_reading.h"
#include "tests/agent/delivery/batch_driver_fixture.h"

using namespace auditrelay;
using namespace auditrelay::delivery;
using namespace auditrelay::delivery::testing;

namespace {

DocumentBatch docs(int from, int n) {
  DocumentBatch b;
  for (int i = from; i < from + n; ++i)
    b.add("id" + std::to_string(i), "logs-a-b", R"({"n":)" + std::to_string(i) + "}");
  return b;
}

ItemOutcome item(Verdict v, int status, std::string type = "", std::string reason = "") {
  return ItemOutcome{v, status, std::move(type), std::move(reason)};
}

}  // namespace

TEST_CASE("batches of at most max_records, several in flight, each document sent once") {
  Fixture f;
  for (int i = 0; i < 10; ++i)
    f.queue->append(docs(i * 70, 70));
  // Earlier requests answer later: completions arrive out of order.
  f.script->delay_ms = [](size_t n) { return n < 3 ? 30 - 10 * n : 0; };
  f.deliver_all();
  std::multiset<std::string> sent = f.sent_once();
  CHECK(sent.size() == 700);
  CHECK(std::set<std::string>(sent.begin(), sent.end()).size() == 700);
  for (const Ids& r : f.script->requests)
    CHECK(r.size() <= 100);
  CHECK(f.script->max_in_flight <= 3);
  CHECK(f.script->max_in_flight > 1);
  CHECK(f.queue->cursor("es") == f.end());
}

TEST_CASE("a batch takes at most max_records of a larger frame; the rest waits in the carry") {
  Fixture f;
  f.queue->append(docs(0, 250));  // one frame each
  f.queue->append(docs(250, 70));
  const BatchLimits limits{100, 1u << 20};
  FrameCarry carry;
  uint64_t next_seq = 0;
  std::vector<size_t> sizes;
  std::vector<std::string> ids;
  bool hit_end = false;
  while (!hit_end) {
    DocumentBatch batch;
    hit_end = fill_from_queue(*f.queue, next_seq, batch, limits, carry);
    // Carried: the frame being cut, until it is used up.
    if (!hit_end) CHECK(carry.frame.has_value() == (next_seq != 250 && next_seq != 320));
    sizes.push_back(batch.size());
    for (size_t i = 0; i < batch.size(); ++i)
      ids.emplace_back(batch[i].id);
  }
  // 100 + 100 from the first frame; its last 50 with 50 of the second; then the rest.
  CHECK(sizes == std::vector<size_t>{100, 100, 100, 20});
  CHECK(next_seq == 320);
  REQUIRE(ids.size() == 320);
  DocumentBatch all = docs(0, 320);
  for (size_t i = 0; i < ids.size(); ++i)
    CHECK(ids[i] == all[i].id);
}

TEST_CASE("the next frame is decoded into the memory of the frame used up before it") {
  Fixture f;
  f.queue->append(docs(0, 100));
  f.queue->append(docs(100, 100));
  const BatchLimits limits{60, 1u << 20};
  FrameCarry carry;
  uint64_t next_seq = 0;
  DocumentBatch first;
  CHECK_FALSE(fill_from_queue(*f.queue, next_seq, first, limits, carry));
  REQUIRE(carry.frame);
  const char* memory = carry.frame->documents.bytes_view().data();
  // The first frame's last 40, then 20 of the second, decoded where the first one was.
  DocumentBatch second;
  CHECK_FALSE(fill_from_queue(*f.queue, next_seq, second, limits, carry));
  REQUIRE(carry.frame);
  CHECK(carry.frame->first_seq == 100);
  CHECK(carry.frame->documents.bytes_view().data() == memory);
  DocumentBatch all = docs(0, 200);
  REQUIRE(second.size() == 60);
  for (size_t i = 0; i < second.size(); ++i) {
    CHECK(second[i].id == all[60 + i].id);
    CHECK(second[i].json == all[60 + i].json);
  }
}

TEST_CASE("a batch answered but not confirmed frees its slot; the cursor waits for it") {
  Fixture f;
  f.options.max_records = 10;
  f.options.concurrency = 1;
  f.script->confirm_later = true;
  f.script->max_awaiting = 4;
  for (int i = 0; i < 8; ++i)
    f.queue->append(docs(i * 10, 10));
  f.driver = std::make_unique<BatchDriver>(
      &f.loop, "es", std::make_unique<ScriptedOutput>(&f.loop, f.script), f.options, *f.queue,
      f.metrics, [] { return 0.0; }, [&f] { return f.now; });
  f.driver->start();
  auto run_until = [&](const std::function<bool()>& condition) {
    return test::wait_until([&] {
      uv_run(&f.loop, UV_RUN_NOWAIT);
      return condition();
    });
  };
  // One request at a time, but four batches may wait for their confirmation.
  CHECK(run_until([&] { return f.script->unconfirmed.size() == 4; }));
  CHECK(f.script->requests.size() == 4);
  CHECK(f.script->max_in_flight == 1);
  CHECK(f.queue->cursor("es") == 0);
  // The second confirmed first: the cursor still waits for the first; a fifth batch goes.
  // Confirmations come an hour later: not part of a request's duration.
  f.now += std::chrono::hours(1);
  f.script->unconfirmed[1]();
  CHECK(run_until([&] { return f.script->requests.size() == 5; }));
  CHECK(f.queue->cursor("es") == 0);
  f.script->unconfirmed[0]();
  CHECK(run_until([&] { return f.queue->cursor("es") == 20; }));
  bool drained = false;
  f.driver->drain([&] { drained = true; }, true);
  size_t confirmed = 2;
  CHECK(run_until([&] {
    while (confirmed < f.script->unconfirmed.size())
      f.script->unconfirmed[confirmed++]();
    return drained;
  }));
  CHECK(f.queue->cursor("es") == f.end());
  CHECK(f.sent_once().size() == 80);
  const std::string text = f.metrics.render_prometheus();
  CHECK(text.find("auditrelay_output_request_duration_seconds_bucket{output=\"es\",le=\"0.005\"} "
                  "8\n") != std::string::npos);
  CHECK(text.find("auditrelay_output_request_duration_seconds_count{output=\"es\"} 8\n") !=
        std::string::npos);
}

TEST_CASE("the cursor waits for an earlier batch that is still being retried") {
  Fixture f;
  f.options.max_records = 10;
  f.queue->append(docs(0, 10));
  f.queue->append(docs(10, 10));
  // Batch one fails until batch two is done.
  bool second_done = false;
  f.script->answer = [&](const Ids& ids, size_t) {
    Outcome o;
    if (ids.front() == "id10") {
      second_done = true;
    } else if (!second_done) {
      o.verdict = Verdict::kRetry;
      o.status = 503;
    }
    return o;
  };
  f.driver = std::make_unique<BatchDriver>(
      &f.loop, "es", std::make_unique<ScriptedOutput>(&f.loop, f.script), f.options, *f.queue,
      f.metrics, [] { return 0.0; }, [&f] { return f.now; });
  f.driver->start();
  CHECK(test::wait_until([&] {
    uv_run(&f.loop, UV_RUN_NOWAIT);
    return second_done;
  }));
  CHECK(f.queue->cursor("es") == 0);  // batch two is done, but batch one is not
  bool drained = false;
  f.driver->drain([&] { drained = true; }, true);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(drained);
  CHECK(f.queue->cursor("es") == 20);
}

TEST_CASE("only the items answered retry are sent again; rejected ones are dead-lettered") {
  Fixture f;
  f.queue->append(docs(0, 5));
  f.script->answer = [](const Ids& ids, size_t request) {
    Outcome o;
    if (request > 0) return o;  // the retry succeeds
    for (const std::string& id : ids) {
      if (id == "id1" || id == "id3") {
        o.items.push_back(item(Verdict::kRetry, 429, "es_rejected_execution_exception"));
      } else if (id == "id2") {
        o.items.push_back(item(Verdict::kRejected, 400, "mapper_parsing_exception",
                               "failed to parse field [policy.risk_score]"));
      } else {
        o.items.push_back(item(Verdict::kDelivered, 201));
      }
    }
    return o;
  };
  f.deliver_all();
  REQUIRE(f.script->requests.size() == 2);
  CHECK(f.script->requests[1] == Ids{"id1", "id3"});
  auto lines = test::read_lines(f.dir / "dead_letter.ndjson");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("id":"id2")") != std::string::npos);
  CHECK(lines[0].find(R"("status":400)") != std::string::npos);
  CHECK(lines[0].find("mapper_parsing_exception") != std::string::npos);
  CHECK(lines[0].find(R"("document":{"n":2})") != std::string::npos);
  CHECK(lines[0].find(R"("attempts":1)") != std::string::npos);
  CHECK(f.queue->cursor("es") == 5);
}

TEST_CASE("413 splits the request in halves; a single document still too large is dead-lettered") {
  Fixture f;
  f.queue->append(docs(0, 8));
  auto has_id5 = [](const Ids& ids) {
    return std::find(ids.begin(), ids.end(), "id5") != ids.end();
  };
  f.script->answer = [has_id5](const Ids& ids, size_t) {
    Outcome o;
    if (ids.size() > 2 || has_id5(ids)) {
      o.too_large = true;
      o.status = 413;
    }
    return o;
  };
  f.deliver_all();
  std::multiset<std::string> delivered;
  for (const Ids& r : f.script->requests) {
    if (r.size() <= 2 && !has_id5(r)) delivered.insert(r.begin(), r.end());
  }
  CHECK(delivered.size() == 7);
  CHECK(delivered.count("id5") == 0);
  auto lines = test::read_lines(f.dir / "dead_letter.ndjson");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("id":"id5")") != std::string::npos);
  CHECK(lines[0].find("request_too_large") != std::string::npos);
  CHECK(f.queue->cursor("es") == 8);
}

TEST_CASE("retrying stops at retry.max_duration and dead-letters what is left") {
  Fixture f;
  f.options.retry.max_duration = std::chrono::milliseconds(10'000);
  f.queue->append(docs(0, 3));
  f.script->answer = [&f](const Ids&, size_t) {
    f.now += std::chrono::seconds(4);  // each attempt takes four (fake) seconds
    Outcome o;
    o.verdict = Verdict::kRetry;
    o.status = 503;
    o.error_type = "unavailable_shards_exception";
    return o;
  };
  f.deliver_all();
  CHECK(f.script->requests.size() == 3);  // at 4 s, 8 s, then 12 s > 10 s: give up
  auto lines = test::read_lines(f.dir / "dead_letter.ndjson");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("retry_exhausted") != std::string::npos);
  CHECK(lines[0].find(R"("attempts":3)") != std::string::npos);
  CHECK(f.queue->cursor("es") == 3);
}

TEST_CASE("documents the output does not want are passed without a request") {
  Fixture f;
  f.queue->append(docs(0, 6));
  f.script->wants = [](std::string_view id) { return id == "id4"; };
  f.deliver_all();
  REQUIRE(f.script->requests.size() == 1);
  CHECK(f.script->requests[0] == Ids{"id4"});
  CHECK(f.queue->cursor("es") == 6);
}

TEST_CASE("a response with the wrong number of items is retried whole") {
  Fixture f;
  f.queue->append(docs(0, 3));
  f.script->answer = [](const Ids&, size_t request) {
    Outcome o;
    if (request == 0) o.items.push_back(item(Verdict::kDelivered, 201));
    return o;
  };
  f.deliver_all();
  REQUIRE(f.script->requests.size() == 2);
  CHECK(f.script->requests[1].size() == 3);
}

TEST_CASE("stopping leaves a batch waiting for its retry in the buffer") {
  Fixture f;
  f.options.retry.initial = std::chrono::milliseconds(60'000);
  f.options.retry.max = std::chrono::milliseconds(60'000);
  f.queue->append(docs(0, 4));
  f.script->answer = [](const Ids&, size_t) {
    Outcome o;
    o.verdict = Verdict::kRetry;
    o.status = 429;
    o.retry_after = "30";
    return o;
  };
  f.driver = std::make_unique<BatchDriver>(
      &f.loop, "es", std::make_unique<ScriptedOutput>(&f.loop, f.script), f.options, *f.queue,
      f.metrics, [] { return 0.5; }, [&f] { return f.now; });
  f.driver->start();
  CHECK(test::wait_until([&] {
    uv_run(&f.loop, UV_RUN_NOWAIT);
    return f.script->requests.size() == 1 && f.script->in_flight == 0;
  }));
  bool drained = false;
  f.driver->drain([&] { drained = true; }, /*until_caught_up=*/false);
  uv_run(&f.loop, UV_RUN_DEFAULT);  // returns: no timer is left running
  CHECK(drained);
  CHECK(f.script->requests.size() == 1);
  CHECK(f.queue->cursor("es") == 0);
}

TEST_CASE("each response is counted by status, its duration observed, per output") {
  Fixture f;
  f.queue->append(docs(0, 5));
  // A transport failure after 40 ms, a 503 after 300 ms, then a 200 after 3 s.
  f.script->answer = [&f](const Ids&, size_t request) {
    Outcome o;
    if (request == 0) {
      f.now += std::chrono::milliseconds(40);
      o.verdict = Verdict::kRetry;
      o.error_type = "connection_error";
    } else if (request == 1) {
      f.now += std::chrono::milliseconds(300);
      o.verdict = Verdict::kRetry;
      o.status = 503;
    } else {
      f.now += std::chrono::seconds(3);
      o.status = 200;
    }
    return o;
  };
  f.deliver_all();
  REQUIRE(f.script->requests.size() == 3);
  const std::string text = f.metrics.render_prometheus();
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  CHECK(has("# TYPE auditrelay_output_http_responses_total counter"));
  CHECK(has("auditrelay_output_http_responses_total{output=\"es\",status=\"error\"} 1"));
  CHECK(has("auditrelay_output_http_responses_total{output=\"es\",status=\"503\"} 1"));
  CHECK(has("auditrelay_output_http_responses_total{output=\"es\",status=\"200\"} 1"));
  CHECK(has("# TYPE auditrelay_output_request_duration_seconds histogram"));
  const std::string bucket = "auditrelay_output_request_duration_seconds_bucket{output=\"es\",le=";
  CHECK(has(bucket + "\"0.025\"} 0"));
  CHECK(has(bucket + "\"0.05\"} 1"));
  CHECK(has(bucket + "\"0.25\"} 1"));
  CHECK(has(bucket + "\"0.5\"} 2"));
  CHECK(has(bucket + "\"2.5\"} 2"));
  CHECK(has(bucket + "\"5\"} 3"));
  CHECK(has(bucket + "\"+Inf\"} 3"));
  CHECK(has("auditrelay_output_request_duration_seconds_count{output=\"es\"} 3"));
}
