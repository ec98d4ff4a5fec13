// Records read from documents or raw records of either schema, filtered and counted.
#include "agent/report/aggregator.h"

#include <doctest/doctest.h>

#include <sstream>

#include "agent/report/render.h"
#include "agent/report/report_error.h"
#include "tests/agent/report/report_fixtures.h"

using namespace auditrelay;
using namespace auditrelay::report;
using auditrelay::test::GovernanceRecord;

namespace {

// Feeds every line of `text` through a RecordReader into an Aggregator, as the command does.
Report aggregate(const std::string& text, ReportOptions options = {}) {
  Aggregator aggregator(options);
  RecordReader reader;
  ReportRecord record;
  std::istringstream lines(text);
  uint64_t position = 0;
  for (std::string line; std::getline(lines, line); position += line.size() + 1) {
    aggregator.count_read();
    if (std::optional<Skip> skip = reader.read(line, {"test", position}, 0, record)) {
      aggregator.count_skipped(skip->reason);
      continue;
    }
    if (options.filter.matches(record)) aggregator.add(record);
  }
  return aggregator.finish("files", {"test"});
}

const Counts* find(const Breakdown& breakdown, const std::string& key) {
  for (const auto& [k, c] : breakdown)
    if (k == key) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("the seed's figures: 15,420 requests, 1 blocked: 99.99 and COMPLIANT") {
  ReportOptions options;
  options.filter.period = parse_period("2025-01");
  Report report = aggregate(test::seed_records(), options);
  CHECK(report.summary.requests == 15'420);
  CHECK(report.summary.blocked == 1);
  CHECK(report.summary.allowed == 15'419);
  CHECK(report.summary.warned == 31);
  CHECK(compliance_rate_text(report.summary) == "99.99");
  CHECK(compliance_status(report) == "COMPLIANT");
  // The blocked request was never routed: it is counted under "none".
  const Counts* none = find(report.providers, "none");
  REQUIRE(none != nullptr);
  CHECK(none->requests == 1);
  CHECK(none->blocked == 1);
  REQUIRE(find(report.providers, "openai") != nullptr);
  CHECK(find(report.providers, "openai")->requests == 5'140);
  CHECK(find(report.providers, "anthropic")->requests == 10'279);
  REQUIRE(report.blocked.size() == 1);
  CHECK(report.blocked[0].id == "audit_4243");
  CHECK_FALSE(report.blocked[0].provider);
  CHECK(report.blocked[0].reasons.size() == 1);
  CHECK(report.timeline.size() == 31);
  CHECK(report.policy_id == "gpol_xxx");
  CHECK(report.policy_name == "Production - HIPAA");
}

TEST_CASE("the threshold is compared exactly; the rate is rounded down") {
  Report report;
  report.summary.requests = 1000;
  report.summary.blocked = 1;
  CHECK(compliance_rate_text(report.summary) == "99.90");
  CHECK(report.compliant());  // 99.9 is not below 99.9
  report.summary.blocked = 2;
  CHECK_FALSE(report.compliant());
  report.options.compliant_threshold = parse_threshold("99.8");
  CHECK(report.compliant());
  report.options.compliant_threshold = parse_threshold("100");
  CHECK_FALSE(report.compliant());
  // 99.999 % is shown as 99.99, never as 100.00 while something was blocked.
  report.summary.requests = 100'000;
  report.summary.blocked = 1;
  CHECK(compliance_rate_text(report.summary) == "99.99");
  report.summary = {};
  CHECK(compliance_rate_text(report.summary) == "100.00");
  CHECK(report.compliant());
  for (const char* bad : {"abc", "101", "99.1234567", "-1", "", "99.", ".5", "099.9", "00"})
    CHECK_THROWS_AS(parse_threshold(bad), ReportError);
  CHECK(parse_threshold("99.95") == 99'950'000);
  CHECK(parse_threshold("0") == 0);
  CHECK(parse_threshold("100.000000") == 100'000'000);
  CHECK(format_threshold(parse_threshold("99.9")) == "99.9");
  CHECK(format_threshold(parse_threshold("99.000050")) == "99.00005");
  CHECK(format_threshold(parse_threshold("100")) == "100");
}

TEST_CASE("raw records of both schemas and their normalized documents count the same") {
  const std::string raw =
      "{\"policy_id\":\"pii-shield\",\"decision\":\"block\",\"effective_decision\":\"block\","
      "\"reason_code\":\"DENYLIST_MATCH\",\"rollout_mode\":\"enforced\",\"enforced\":true,"
      "\"triggered_categories\":[\"pii/ssn\"],\"model\":\"m\",\"created_at\":"
      "\"2026-01-16T18:22:14Z\"}\n"
      "{\"policy_id\":\"pii-shield\",\"decision\":\"block\",\"effective_decision\":\"allow\","
      "\"reason_code\":\"DENYLIST_MATCH\",\"rollout_mode\":\"shadow\",\"enforced\":false,"
      "\"model\":\"m\",\"created_at\":\"2026-01-16T18:22:15Z\"}\n" +
      GovernanceRecord{.id = "a1"}.json() + "\n" +
      GovernanceRecord{.id = "a2", .provider = "", .allowed = false, .reasons_json = R"(["no"])"}
          .json() +
      "\n";
  Report from_raw = aggregate(raw);

  // The same records as documents.
  Normalizer normalizer(NormalizeOptions{});
  DocumentBatch docs;
  std::istringstream lines(raw);
  uint64_t position = 0;
  for (std::string line; std::getline(lines, line); position += line.size() + 1)
    REQUIRE_FALSE(normalizer.normalize(line, Schema::kAuto, {"test", position}, docs));
  std::string documents;
  for (size_t i = 0; i < docs.size(); ++i)
    documents += std::string(docs[i].json) + "\n";
  Report from_docs = aggregate(documents);

  for (const Report* r : {&from_raw, &from_docs}) {
    CHECK(r->summary.requests == 4);
    CHECK(r->summary.blocked == 2);  // the shadow block was allowed in effect
    CHECK(r->records_skipped == 0);
    REQUIRE(r->blocked.size() == 2);
    CHECK(r->blocked[0].id == "a2");  // 2025 before 2026
    CHECK(r->blocked[1].reasons == std::vector<std::string>{"pii/ssn"});
    CHECK(find(r->rollout_modes, "shadow")->requests == 1);
    CHECK(find(r->rollout_modes, "hard_block")->requests == 2);
    CHECK(r->reason_codes.front() == std::pair<std::string, uint64_t>{"DENYLIST_MATCH", 2});
    CHECK_FALSE(r->policy_id);  // two policies
  }
  CHECK(from_raw.blocked[1].id == from_docs.blocked[1].id);
}

TEST_CASE("filters: policy by id or name, provider (none: without one), allowed") {
  std::string text = GovernanceRecord{.id = "a", .policy_id = "p1", .policy_name = "One"}.json() +
                     "\n" + GovernanceRecord{.id = "b", .policy_id = "p2", .provider = ""}.json() +
                     "\n" +
                     GovernanceRecord{.id = "c", .policy_id = "p2", .allowed = false}.json() + "\n";
  ReportOptions options;
  options.filter.policy = "One";
  CHECK(aggregate(text, options).summary.requests == 1);
  options.filter.policy = "p2";
  Report p2 = aggregate(text, options);
  CHECK(p2.summary.requests == 2);
  CHECK(p2.policy_id == "p2");
  options.filter.provider = "none";
  CHECK(aggregate(text, options).summary.requests == 1);
  options.filter = {};
  options.filter.allowed = false;
  CHECK(aggregate(text, options).summary.requests == 1);
  options.filter = {};
  options.filter.period = parse_period("2025-02");
  CHECK(aggregate(text, options).summary.requests == 0);
}

TEST_CASE("the blocked list keeps the earliest, whatever the order they come in") {
  std::string text;
  for (int i = 9; i >= 0; --i) {
    GovernanceRecord r{.id = "b" + std::to_string(i), .allowed = false};
    r.timestamp = "2025-01-10T14:3" + std::to_string(i) + ":00Z";
    text += r.json() + "\n";
  }
  ReportOptions options;
  options.max_blocked = 3;
  Report report = aggregate(text, options);
  REQUIRE(report.blocked.size() == 3);
  CHECK(report.blocked[0].id == "b0");
  CHECK(report.blocked[2].id == "b2");
  CHECK(report.blocked_truncated());
  options.max_blocked = 0;
  CHECK(aggregate(text, options).blocked.empty());
}

TEST_CASE("unreadable lines are skipped and counted by reason; nothing else is lost") {
  std::string text = GovernanceRecord{.id = "ok1"}.json() + "\n" +
                     "not json\n"
                     "{\"policyId\":\"x\",\"allowed\":true}\n"
                     "[1,2]\n"
                     "{\"some\":\"thing\"}\n" +
                     GovernanceRecord{.id = "ok2"}.json() + "\n";
  Report report = aggregate(text);
  CHECK(report.records_read == 6);
  CHECK(report.summary.requests == 2);
  CHECK(report.records_skipped == 4);
  CHECK(report.skipped_by_reason["invalid_json"] == 1);
  CHECK(report.skipped_by_reason["missing_field"] == 1);
  CHECK(report.skipped_by_reason["not_an_object"] == 1);
  CHECK(report.skipped_by_reason["unknown_schema"] == 1);
}

TEST_CASE("group by decision, policy or provider") {
  std::string text =
      GovernanceRecord{.id = "a"}.json() + "\n" +
      GovernanceRecord{.id = "b", .allowed = false}.json() + "\n" +
      GovernanceRecord{.id = "c", .enforcement = "warn", .reasons_json = R"(["w"])"}.json() + "\n";
  ReportOptions options;
  options.group_by = GroupBy::kDecision;
  Report report = aggregate(text, options);
  REQUIRE(report.groups.size() == 3);
  CHECK(find(report.groups, "block")->blocked == 1);
  CHECK(find(report.groups, "warn")->warned == 1);
  CHECK(find(report.groups, "allow")->allowed == 1);
  options.group_by = GroupBy::kPolicy;
  CHECK(aggregate(text, options).groups.size() == 1);
}

TEST_CASE("records centuries apart: the timeline keeps the days that have some") {
  std::string text = GovernanceRecord{.id = "old", .timestamp = "0001-01-01T00:00:00Z"}.json() +
                     "\n" + GovernanceRecord{.id = "new"}.json() + "\n";
  Report report = aggregate(text);
  CHECK(report.summary.requests == 2);
  REQUIRE(report.timeline.size() == 2);
  CHECK(bucket_label(report.timeline[0].first, Granularity::kDaily) == "0001-01-01");
  CHECK(format_instant(report.period.end_ms) == "2025-01-11T00:00:00.000Z");
  ReportOptions options;
  options.filter.period = parse_period("2025-01");
  CHECK(aggregate(text, options).summary.requests == 1);
}

TEST_CASE("violation reasons, else triggered categories, counted; the most frequent listed") {
  std::string text;
  for (int i = 0; i < 30; ++i) {
    text += GovernanceRecord{.id = "v" + std::to_string(i),
                             .allowed = false,
                             .reasons_json = "[\"r" + std::to_string(i % 25) + "\", \"common\"]"}
                .json() +
            "\n";
  }
  text +=
      R"({"policy_id":"p","decision":"block","triggered_categories":["pii/ssn"],"created_at":"2025-01-10T00:00:00Z"})"
      "\n";
  Report report = aggregate(text);
  REQUIRE(report.violation_reasons.size() == kTopReasons);
  CHECK(report.violation_reasons[0] == std::pair<std::string, uint64_t>{"common", 30});
  CHECK(report.violation_reasons[1].second == 2);  // r0 to r4 twice each
  CHECK(report.violation_reasons[1].first == "r0");
}

TEST_CASE("a period of more than 10,000 buckets is refused before anything is read") {
  ReportOptions options;
  options.filter.period = parse_start_end("1900-01-01", "2025-01-01");
  CHECK_THROWS_AS(check_timeline_size(options), ReportError);
  options.granularity = Granularity::kMonthly;
  CHECK_NOTHROW(check_timeline_size(options));
}

TEST_CASE("documents: event.type as one string; no @timestamp or event.id: completed") {
  const std::string scalar =
      R"({"@timestamp":"2025-01-10T00:00:00.000Z","data_stream":{"type":"logs"},"event":{"id":"s1","type":"denied"},"policy":{"policy_id":"p"}})";
  const std::string incomplete =
      R"({"data_stream":{"type":"logs"},"event":{"type":["allowed"]},"policy":{"policy_id":"p","created_at":"2025-01-11T00:00:00Z"}})";
  Report report = aggregate(scalar + "\n" + incomplete + "\n");
  CHECK(report.records_skipped == 0);
  CHECK(report.summary.requests == 2);
  CHECK(report.summary.blocked == 1);
  REQUIRE(report.timeline.size() == 2);
  CHECK(bucket_label(report.timeline[1].first, Granularity::kDaily) == "2025-01-11");
}
