// The one search a report sends to Elasticsearch, and the report read from its answer.
#include "agent/report/es_search.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "agent/report/report_error.h"

using namespace auditrelay::report;

TEST_CASE("the search: filters in the query, blocked requests in the hits, figures in aggs") {
  ReportOptions options;
  options.filter.period = parse_period("2025-01");
  options.filter.policy = "gpol_xxx";
  options.filter.provider = "none";
  options.group_by = GroupBy::kDecision;
  options.max_blocked = 50'000;
  rapidjson::Document body;
  body.Parse(search_body(options).c_str());
  REQUIRE_FALSE(body.HasParseError());
  CHECK(body["size"].GetUint64() == kMaxSearchHits);
  CHECK(body["track_total_hits"].GetBool());
  const auto& filters = body["query"]["bool"]["filter"];
  REQUIRE(filters.Size() == 3);
  CHECK(std::string(filters[0]["range"]["@timestamp"]["gte"].GetString()) ==
        "2025-01-01T00:00:00.000Z");
  CHECK(std::string(filters[0]["range"]["@timestamp"]["lt"].GetString()) ==
        "2025-02-01T00:00:00.000Z");
  CHECK(filters[1]["bool"]["should"].Size() == 2);
  CHECK(std::string(filters[2]["bool"]["must_not"][0u]["exists"]["field"].GetString()) ==
        "gen_ai.system");
  CHECK(std::string(body["post_filter"]["term"]["event.type"].GetString()) == "denied");
  const auto& aggs = body["aggs"];
  for (const char* name : {"requests", "timeline", "providers", "reason_codes", "rollout_modes",
                           "enforcement", "policies", "groups"})
    CHECK(aggs.HasMember(name));
  CHECK(std::string(aggs["timeline"]["date_histogram"]["calendar_interval"].GetString()) == "day");
  CHECK(aggs["timeline"]["date_histogram"]["min_doc_count"].GetInt() == 1);
  CHECK(
      std::string(
          aggs["requests"]["aggs"]["warned"]["filter"]["bool"]["must_not"][0u]["term"]["event.type"]
              .GetString()) == "denied");
  CHECK(std::string(aggs["groups"]["terms"]["field"].GetString()) == "event.action");
}

namespace {

// An answer in Elasticsearch 8's format to the search above (without groups).
const char* kAnswer = R"({
  "took": 3, "timed_out": false,
  "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
  "hits": {"total": {"value": 1, "relation": "eq"}, "max_score": null, "hits": [
    {"_index": ".ds-logs-policy_gateway.audit-default-2025.01.10-000001", "_id": "audit_def456",
     "_score": null, "sort": [1736519460000, "audit_def456"],
     "_source": {"@timestamp": "2025-01-10T14:31:00.000Z",
       "data_stream": {"type": "logs", "dataset": "policy_gateway.audit", "namespace": "default"},
       "event": {"type": ["denied"], "action": "block", "id": "audit_def456"},
       "gen_ai": {"request": {"model": "deepseek-chat"}},
       "http": {"request": {"id": "req_uvw123"}}, "source": {"ip": "203.0.113.42"},
       "policy": {"policy_id": "gpol_xxx", "policy_name": "Production - HIPAA",
                  "reason_code": "BLOCK", "enforcement": "hard_block",
                  "violation_reasons": ["China-based"]}}}]},
  "aggregations": {
    "requests": {"doc_count": 3, "blocked": {"doc_count": 1}, "warned": {"doc_count": 1}},
    "timeline": {"buckets": [
      {"key_as_string": "2025-01-10T00:00:00.000Z", "key": 1736467200000, "doc_count": 3,
       "blocked": {"doc_count": 1}, "warned": {"doc_count": 1}},
      {"key_as_string": "2025-01-11T00:00:00.000Z", "key": 1736553600000, "doc_count": 0,
       "blocked": {"doc_count": 0}, "warned": {"doc_count": 0}}]},
    "providers": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
      {"key": "anthropic", "doc_count": 1, "blocked": {"doc_count": 0}, "warned": {"doc_count": 0}},
      {"key": "none", "doc_count": 1, "blocked": {"doc_count": 1}, "warned": {"doc_count": 0}},
      {"key": "openai", "doc_count": 1, "blocked": {"doc_count": 0}, "warned": {"doc_count": 1}}]},
    "reason_codes": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
      {"key": "ALLOW", "doc_count": 1}, {"key": "BLOCK", "doc_count": 1}, {"key": "WARN", "doc_count": 1}]},
    "rollout_modes": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": []},
    "violation_reasons": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
      {"key": "China-based", "doc_count": 1}]},
    "categories": {"doc_count": 2, "reasons": {"doc_count_error_upper_bound": 0,
      "sum_other_doc_count": 0, "buckets": []}},
    "enforcement": {"doc_count": 3, "modes": {"doc_count_error_upper_bound": 0,
      "sum_other_doc_count": 0, "buckets": [
      {"key": "hard_block", "doc_count": 2, "blocked": {"doc_count": 1}, "warned": {"doc_count": 0}},
      {"key": "warn", "doc_count": 1, "blocked": {"doc_count": 0}, "warned": {"doc_count": 1}}]}},
    "policies": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
      {"key": "gpol_xxx", "doc_count": 2, "names": {"buckets": [{"key": "Production - HIPAA", "doc_count": 2}]}},
      {"key": "gpol_yyy", "doc_count": 1, "names": {"buckets": [{"key": "Staging", "doc_count": 1}]}}]}
  }})";

}  // namespace

TEST_CASE("the report from the answer") {
  ReportOptions options;
  Report report = report_from_search(kAnswer, options, {"http://es:9200", "logs-x-default"});
  CHECK(report.source == "elasticsearch");
  CHECK(report.summary.requests == 3);
  CHECK(report.summary.blocked == 1);
  CHECK(report.summary.allowed == 2);
  CHECK(report.summary.warned == 1);
  REQUIRE(report.providers.size() == 3);
  CHECK(report.providers[1].first == "none");
  CHECK(report.providers[1].second.blocked == 1);
  REQUIRE(report.timeline.size() == 1);  // no period asked: the days with records
  CHECK(format_instant(report.period.start_ms) == "2025-01-10T00:00:00.000Z");
  CHECK(format_instant(report.period.end_ms) == "2025-01-11T00:00:00.000Z");
  REQUIRE(report.rollout_modes.size() == 2);
  CHECK(report.rollout_modes[0].first == "hard_block");
  CHECK(report.reason_codes.size() == 3);
  REQUIRE(report.violation_reasons.size() == 1);
  CHECK(report.violation_reasons[0].first == "China-based");
  CHECK_FALSE(report.policy_id);  // two policies
  REQUIRE(report.blocked.size() == 1);
  CHECK(report.blocked[0].id == "audit_def456");
  CHECK(report.blocked[0].request_id == "req_uvw123");
  CHECK(report.blocked[0].reasons == std::vector<std::string>{"China-based"});
  CHECK_FALSE(report.blocked[0].provider);
}

TEST_CASE("partial answers are refused: failed shards, a time-out, buckets left out") {
  std::string failed = kAnswer;
  failed.replace(
      failed.find(R"("failed": 0})"), 12,
      R"("failed": 1, "failures": [{"shard": 0, "reason": {"type": "illegal_argument_exception", "reason": "Fielddata is disabled"}}]})");
  CHECK_THROWS_WITH_AS(report_from_search(failed, {}, {}),
                       doctest::Contains("1 of Elasticsearch's shards failed the search: "
                                         "illegal_argument_exception: Fielddata is disabled"),
                       ReportError);
  std::string timed_out = kAnswer;
  timed_out.replace(timed_out.find(R"("timed_out": false)"), 18, R"("timed_out": true)");
  CHECK_THROWS_WITH_AS(report_from_search(timed_out, {}, {}), doctest::Contains("timed out"),
                       ReportError);
  std::string cut = kAnswer;
  size_t providers = cut.find(R"("providers")");
  cut.replace(cut.find(R"("sum_other_doc_count": 0)", providers), 24,
              R"("sum_other_doc_count": 5)");
  CHECK_THROWS_WITH_AS(report_from_search(cut, {}, {}), doctest::Contains("providers"),
                       ReportError);
}

TEST_CASE("an answer that is not the one asked for is an error, not a wrong report") {
  CHECK_THROWS_AS(report_from_search("not json", {}, {}), ReportError);
  CHECK_THROWS_AS(report_from_search(R"({"hits": {"hits": []}})", {}, {}), ReportError);
  CHECK_THROWS_WITH_AS(
      report_from_search(R"({"aggregations": {"requests": {"doc_count": "x"}}})", {}, {}),
      doctest::Contains("unexpected answer from Elasticsearch"), ReportError);
}

TEST_CASE("export pages: filters, time order, search_after; the last page has no `after`") {
  Filter filter;
  filter.allowed = true;
  rapidjson::Document first;
  first.Parse(export_page_body(filter, 2, "").c_str());
  REQUIRE_FALSE(first.HasParseError());
  CHECK(first["size"].GetInt() == 2);
  CHECK_FALSE(first.HasMember("search_after"));
  CHECK(
      std::string(first["query"]["bool"]["filter"][0u]["bool"]["must_not"][0u]["term"]["event.type"]
                      .GetString()) == "denied");
  rapidjson::Document next;
  next.Parse(export_page_body(filter, 2, R"([1736467200000,"a1"])").c_str());
  CHECK(next["search_after"][1u].GetString() == std::string("a1"));

  const char* full = R"({"took":1,"timed_out":false,"_shards":{"total":1,"successful":1,"failed":0},
    "hits":{"hits":[{"_id":"a","_source":{"x":1},"sort":[1,"a"]},
                    {"_id":"b","_source":{"x":2},"sort":[2,"b"]}]}})";
  ExportPage page = read_export_page(full, 2);
  CHECK(page.documents == std::vector<std::string>{R"({"x":1})", R"({"x":2})"});
  CHECK(page.after == R"([2,"b"])");
  CHECK(read_export_page(full, 3).after.empty());  // fewer than asked: the last page
}
