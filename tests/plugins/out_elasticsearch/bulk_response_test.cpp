#include "plugins/out_elasticsearch/bulk_response.h"

#include <doctest/doctest.h>

using namespace auditrelay;
using namespace auditrelay::delivery;
using auditrelay::elasticsearch::classify_bulk_response;

namespace {

HttpResponse response(long status, std::string body, std::string retry_after = "") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

Outcome classify(const HttpResponse& r, size_t items = 1) {
  return classify_bulk_response(r, items, RetryableStatuses());
}

}  // namespace

TEST_CASE("errors:false delivers every item without reading them") {
  Outcome o = classify(response(200, R"j({"errors":false,"items":[{"create":{"status":201}}]})j"));
  CHECK(o.verdict == Verdict::kDelivered);
  CHECK(o.items.empty());
  CHECK_FALSE(o.too_large);
}

TEST_CASE("errors:false counts only in a whole, valid JSON object, of any size") {
  // Cut short, a string, not at the top: the items are not known to have succeeded.
  CHECK(
      classify(response(200, R"j({"errors":false,"items":[{"create":{"status":201}})j")).verdict ==
      Verdict::kRetry);
  CHECK(classify(response(200, R"j({"errors":"false"})j")).verdict == Verdict::kRetry);
  CHECK(classify(response(200, R"j([{"errors":false}])j")).verdict == Verdict::kRetry);
  CHECK(classify(response(200, R"j({"took":3,"errors":false})j")).verdict == Verdict::kDelivered);
  // A response over the fast path's 1 MiB (no filter_path: every item in full) is read whole.
  std::string big = R"j({"errors":false,"items":[)j";
  const std::string item =
      R"j({"create":{"_index":".ds-logs-x-default","_id":"0123456789abcdef","_version":1,)j"
      R"j("result":"created","_shards":{"total":2,"successful":1,"failed":0},"status":201}})j";
  constexpr size_t kItems = 8000;
  for (size_t i = 0; i < kItems; ++i)
    big.append(i == 0 ? "" : ",").append(item);
  big.append("]}");
  REQUIRE(big.size() > (1u << 20));
  CHECK(classify(response(200, big), kItems).verdict == Verdict::kDelivered);
  big.pop_back();
  CHECK(classify(response(200, big), kItems).verdict == Verdict::kRetry);
}

TEST_CASE("per item: created, already there, overloaded, unavailable, unparsable") {
  // As Elasticsearch answers with filter_path=errors,items.*.status,items.*.error.type,...
  Outcome o = classify(response(200, R"j({"errors":true,"items":[
    {"create":{"status":201}},
    {"create":{"status":409,"error":{"type":"version_conflict_engine_exception",
      "reason":"[a1]: version conflict, document already exists (current version [1])"
}
}
},
    {"create":{"status":429,"error":{"type":"es_rejected_execution_exception",
      "reason":"rejected execution of coordinating operation"}}},
    {"create":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}},
    {"create":{"status":400,"error":{"type":"mapper_parsing_exception",
      "reason":"failed to parse field [policy.risk_score] of type [long]"}}},
    {"create":{"status":400,"error":{"type":"illegal_argument_exception",
      "reason":"only write ops with an op_type of create are allowed in data streams"}}}
  ]
})j"),
                       6);
  REQUIRE(o.items.size() == 6);
  CHECK(o.items[0].verdict == Verdict::kDelivered);
  CHECK(o.items[1].verdict == Verdict::kDelivered);
  CHECK(o.items[2].verdict == Verdict::kRetry);
  CHECK(o.items[2].status == 429);
  CHECK(o.items[3].verdict == Verdict::kRetry);
  CHECK(o.items[4].verdict == Verdict::kRejected);
  CHECK(o.items[4].error_type == "mapper_parsing_exception");
  CHECK(o.items[4].reason == "failed to parse field [policy.risk_score] of type [long]");
  CHECK(o.items[5].verdict == Verdict::kRejected);
}

TEST_CASE("an item answered 500 is retried alone; 501 and 505 are not retried") {
  // As the fake's item_500_ratio answers (illegal_state_exception: no status of its own).
  Outcome o = classify(response(200, R"j({"errors":true,"items":[
    {"create":{"status":201}},
    {"create":{"status":500,"error":{"type":"illegal_state_exception",
      "reason":"[.ds-logs-a-b-2026.01.01-000001][0] failed to execute bulk item (create)"}}},
    {"create":{"status":501,"error":{"type":"exception","reason":"not implemented"}}},
    {"create":{"status":505,"error":{"type":"exception","reason":"version not supported"}}}
  ]})j"),
                       4);
  REQUIRE(o.items.size() == 4);
  CHECK(o.verdict == Verdict::kDelivered);  // the request as a whole: the items decide
  CHECK(o.items[0].verdict == Verdict::kDelivered);
  CHECK(o.items[1].verdict == Verdict::kRetry);
  CHECK(o.items[1].status == 500);
  CHECK(o.items[1].error_type == "illegal_state_exception");
  CHECK(o.items[1].reason ==
        "[.ds-logs-a-b-2026.01.01-000001][0] failed to execute bulk item (create)");
  CHECK(o.items[2].verdict == Verdict::kRejected);
  CHECK(o.items[3].verdict == Verdict::kRejected);
}

TEST_CASE("a 409 that is not a create conflict is not mistaken for delivered") {
  Outcome o = classify(response(
      200, R"j({"errors":true,"items":[{"create":{"status":409,"error":{"type":"other"}}}]})j"));
  REQUIRE(o.items.size() == 1);
  CHECK(o.items[0].verdict == Verdict::kRejected);
}

TEST_CASE("retry.statuses decides which item statuses are retried") {
  RetryableStatuses only_429;
  std::string bad;
  REQUIRE(only_429.parse({"429"}, bad));
  Outcome o = classify_bulk_response(
      response(200,
               R"j({"errors":true,"items":[{"index":{"status":503}},{"index":{"status":429}}]})j"),
      2, only_429);
  REQUIRE(o.items.size() == 2);
  CHECK(o.items[0].verdict == Verdict::kRejected);
  CHECK(o.items[1].verdict == Verdict::kRetry);
}

TEST_CASE("whole request: 413 splits, 429/503 retry with Retry-After, 400 rejects") {
  Outcome too_large = classify(response(413, ""), 10);
  CHECK(too_large.too_large);

  Outcome busy = classify(response(429,
                                   R"j({"error":{"type":"es_rejected_execution_exception",
                                       "reason":"rejected execution"},"status":429})j",
                                   "2"));
  CHECK(busy.verdict == Verdict::kRetry);
  CHECK(busy.retry_after == "2");
  CHECK(busy.error_type == "es_rejected_execution_exception");
  CHECK(busy.items.empty());

  CHECK(classify(response(503, "")).verdict == Verdict::kRetry);
  CHECK(classify(response(502, "<html>bad gateway</html>")).verdict == Verdict::kRetry);

  Outcome bad = classify(response(400,
                                  R"j({"error":{"type":"illegal_argument_exception",
      "reason":"The bulk request must be terminated by a newline [\\n]"},"status":400})j"));
  CHECK(bad.verdict == Verdict::kRejected);
  CHECK(bad.reason == "The bulk request must be terminated by a newline [\\n]");
}

TEST_CASE("401, 403 and 404 keep the data and carry an actionable alert") {
  for (long status : {401L, 403L, 404L}) {
    CAPTURE(status);
    Outcome o = classify(response(status, R"j({"error":{"type":"security_exception"}})j"));
    CHECK(o.verdict == Verdict::kRetry);
    CHECK_FALSE(o.alert.empty());
  }
  CHECK(classify(response(403, "")).alert.find("create_doc") != std::string::npos);
}

TEST_CASE("no response and unreadable responses are retried") {
  HttpResponse refused;
  refused.error = "Failed to connect to 127.0.0.1 port 9: Connection refused";
  Outcome o = classify(refused);
  CHECK(o.verdict == Verdict::kRetry);
  CHECK(o.error_type == "connection_error");
  CHECK(o.reason == refused.error);

  CHECK(classify(response(200, "not json")).verdict == Verdict::kRetry);
  CHECK(classify(response(200, R"j({"errors":true})j")).verdict == Verdict::kRetry);
  // An item that is not {action: {...}} is retried rather than guessed at.
  Outcome odd = classify(response(200, R"j({"errors":true,"items":[42]})j"));
  REQUIRE(odd.items.size() == 1);
  CHECK(odd.items[0].verdict == Verdict::kRetry);
}
