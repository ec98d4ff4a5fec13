// The JSON, CSV and HTML renderings and the export writer.
#include "agent/report/render.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <sstream>

#include "agent/report/aggregator.h"
#include "agent/report/export_writer.h"
#include "tests/agent/report/report_fixtures.h"

using namespace auditrelay;
using namespace auditrelay::report;
using auditrelay::test::GovernanceRecord;

namespace {

// A report of three records: allowed, blocked (no provider, reasons with a comma and quotes),
// warned.
Report small_report(ReportOptions options = {}) {
  Aggregator aggregator(options);
  RecordReader reader;
  ReportRecord record;
  int n = 0;
  for (const GovernanceRecord& r :
       {GovernanceRecord{.id = "a1", .provider = "openai"},
        GovernanceRecord{.id = "a2",
        .timestamp = "2025-01-11T09:00:00Z",
        .provider = "",
        .allowed = false,
        .reasons_json = R"(["Provider, \"deepseek\", is blocked", "<b>x</b>"])"},
        GovernanceRecord{.id = "a3",
        .timestamp = "2025-01-12T09:00:00Z",
        .enforcement = "warn",
        .reasons_json = R"(["email"])"}}) {
    aggregator.count_read();
    REQUIRE_FALSE(reader.read(r.json(), {"t", static_cast<uint64_t>(n++)}, 0, record));
    aggregator.add(record);
  }
  return aggregator.finish("files", {"in.jsonl"});
}

ReportHeader header(const Report& report) {
  return make_header(report, 1'736'467'200'000, "auditrelay test");
}

}  // namespace

TEST_CASE("JSON: the gateways' report shape, the rate with two decimals") {
  ReportOptions options;
  options.filter.period = parse_period("2025-01");
  options.filter.policy = "gpol_xxx";
  Report report = small_report(options);
  std::ostringstream out;
  render_json(report, header(report), out);
  const std::string text = out.str();
  CHECK(text.find("\"complianceRate\": 66.66") != std::string::npos);
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  const auto& r = doc["report"];
  CHECK(std::string(r["id"].GetString()).rfind("rpt_", 0) == 0);
  CHECK(std::string(r["generatedAt"].GetString()) == "2025-01-10T00:00:00.000Z");
  CHECK(std::string(r["period"]["start"].GetString()) == "2025-01-01T00:00:00.000Z");
  CHECK(std::string(r["period"]["end"].GetString()) == "2025-02-01T00:00:00.000Z");
  CHECK(std::string(r["policy"]["id"].GetString()) == "gpol_xxx");
  CHECK(std::string(r["policy"]["name"].GetString()) == "Production - HIPAA");
  const auto& s = r["summary"];
  CHECK(s["totalRequests"].GetUint64() == 3);
  CHECK(s["allowedRequests"].GetUint64() == 2);
  CHECK(s["blockedRequests"].GetUint64() == 1);
  CHECK(s["warnedRequests"].GetUint64() == 1);
  CHECK(s["complianceRate"].GetDouble() == doctest::Approx(66.66));
  const auto& providers = r["providerBreakdown"];
  CHECK(providers["none"]["blocked"].GetUint64() == 1);
  CHECK(providers["openai"]["requests"].GetUint64() == 1);
  CHECK(providers["anthropic"]["allowed"].GetUint64() == 1);
  const auto& blocked = r["blockedRequests"];
  REQUIRE(blocked.Size() == 1);
  CHECK(std::string(blocked[0]["requestId"].GetString()) == "req_1");
  CHECK(std::string(blocked[0]["ipAddress"].GetString()) == "198.51.100.7");
  CHECK(std::string(blocked[0]["model"].GetString()) == "claude-sonnet-4-20250514");
  CHECK(blocked[0]["reasons"].Size() == 2);
  CHECK(std::string(blocked[0]["timestamp"].GetString()) == "2025-01-11T09:00:00.000Z");
  CHECK(std::string(r["complianceStatus"].GetString()) == "NON_COMPLIANT");
  CHECK(r["timeline"].Size() == 31);
  CHECK(r["metadata"]["blockedRequestsCap"].GetUint64() == 1000);
  CHECK(r["metadata"]["blockedRequestsTruncated"].GetBool() == false);
  CHECK(r["metadata"]["compliantThreshold"].GetDouble() == doctest::Approx(99.9));
}

TEST_CASE("CSV: one row per day, or per group; RFC 4180 quoting") {
  Report report = small_report();
  std::ostringstream daily;
  render_csv(report, daily);
  CHECK(daily.str() ==
        "date,requests,allowed,blocked,warned,compliance_rate\r\n"
        "2025-01-10,1,1,0,0,100.00\r\n"
        "2025-01-11,1,0,1,0,0.00\r\n"
        "2025-01-12,1,1,0,1,100.00\r\n");
  ReportOptions options;
  options.group_by = GroupBy::kProvider;
  options.granularity = Granularity::kMonthly;
  Report grouped = small_report(options);
  std::ostringstream by_provider;
  render_csv(grouped, by_provider);
  CHECK(by_provider.str() ==
        "provider,requests,allowed,blocked,warned,compliance_rate\r\n"
        "anthropic,1,1,0,1,100.00\r\n"
        "none,1,0,1,0,0.00\r\n"
        "openai,1,1,0,0,100.00\r\n");
  std::ostringstream monthly;
  options.group_by = GroupBy::kNone;
  render_csv(small_report(options), monthly);
  CHECK(monthly.str().find("month,requests") == 0);
  CHECK(monthly.str().find("2025-01,3,2,1,1,66.66\r\n") != std::string::npos);

  std::ostringstream fields;
  write_csv_field(fields, "plain");
  fields << '|';
  write_csv_field(fields, "a, \"b\"");
  fields << '|';
  write_csv_field(fields, "line\nbreak");
  CHECK(fields.str() == "plain|\"a, \"\"b\"\"\"|\"line\nbreak\"");
}

TEST_CASE("export: the CSV columns of both schemas, and JSON documents") {
  RecordReader reader;
  ReportRecord record;
  std::ostringstream csv;
  ExportWriter writer(ExportFormat::kCsv, csv);
  writer.begin();
  GovernanceRecord blocked{
      .id = "g1", .provider = "", .allowed = false, .reasons_json = R"(["a, b", "say \"no\""])"};
  REQUIRE_FALSE(reader.read(blocked.json(), {"t", 0}, 0, record));
  writer.write(record);
  const std::string gateway =
      R"({"id":"pg1","policy_id":"tone","decision":"warn","reason_code":"TONE","rollout_mode":"enforced","triggered_categories":["harassment","insult"],"model":"m1","created_at":"2026-01-16T18:22:15Z"})";
  REQUIRE_FALSE(reader.read(gateway, {"t", 1}, 0, record));
  writer.write(record);
  writer.end();
  CHECK(csv.str() ==
        "id,timestamp,request_id,model,provider,policy_name,allowed,enforcement,violations\r\n"
        "g1,2025-01-10T14:30:00.000Z,req_1,claude-sonnet-4-20250514,,Production - HIPAA,false,"
        "hard_block,\"a, b; say \"\"no\"\"\"\r\n"
        "pg1,2026-01-16T18:22:15.000Z,,m1,,tone,true,enforced,harassment; insult\r\n");

  std::ostringstream json;
  ExportWriter json_writer(ExportFormat::kJson, json);
  json_writer.begin();
  json_writer.end();
  CHECK(json.str() == "[]\n");
  std::ostringstream two;
  ExportWriter two_writer(ExportFormat::kJson, two);
  two_writer.begin();
  REQUIRE_FALSE(reader.read(gateway, {"t", 1}, 0, record));
  two_writer.write(record);
  two_writer.write(record);
  two_writer.end();
  rapidjson::Document doc;
  doc.Parse(two.str().c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.Size() == 2);
  CHECK(std::string(doc[1]["event"]["id"].GetString()) == "pg1");
  CHECK(std::string(doc[1]["data_stream"]["type"].GetString()) == "logs");
}

TEST_CASE("HTML: one page with both charts, every record text escaped, nothing fetched") {
  Report report = small_report();
  std::ostringstream out;
  render_html(report, header(report), out);
  const std::string page = out.str();
  CHECK(page.find("data-chart=\"decisions-over-time\"") != std::string::npos);
  CHECK(page.find("data-chart=\"reason-codes\"") != std::string::npos);
  for (const char* section : {"summary", "decisions-over-time", "reason-codes", "rollout-modes",
                              "providers", "blocked-requests"})
    CHECK(page.find("data-section=\"" + std::string(section) + "\"") != std::string::npos);
  CHECK(page.find("<b>x</b>") == std::string::npos);
  CHECK(page.find("&lt;b&gt;x&lt;/b&gt;") != std::string::npos);
  CHECK(page.find("Provider, &quot;deepseek&quot;, is blocked") != std::string::npos);
  CHECK(page.find("NON_COMPLIANT") != std::string::npos);
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("href=") == std::string::npos);
  CHECK(page.find("class=\"mark\"") != std::string::npos);
}
