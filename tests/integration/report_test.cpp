// `auditrelay report` and `auditrelay export` through the real binary: the seed's figures from
// plain and .zst files, bad input, exports, the same report from Elasticsearch (the fake, which
// answers the aggregation query), and the HTML page checked in headless Chromium.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <zstd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/agent/report/report_fixtures.h"
#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;
using auditrelay::fakes::FakeElasticsearch;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void write_zstd(const std::filesystem::path& path, const std::string& bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  write_file(path, out);
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_MESSAGE(!doc.HasParseError(), text.substr(0, 300));
  return doc;
}

// The figures both sources must agree on: everything but the id, the time and the metadata.
std::string figures(const std::string& report_json) {
  rapidjson::Document doc = parse(report_json);
  auto& r = doc["report"];
  for (const char* volatile_key : {"id", "generatedAt", "metadata"})
    r.RemoveMember(volatile_key);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  doc.Accept(w);
  return buffer.GetString();
}

}  // namespace

TEST_CASE("report: the seed's figures from raw records, plain or .zst, and from documents") {
  TempDir dir;
  const std::string records = seed_records();
  write_file(dir / "audit.jsonl", records);
  write_zstd(dir / "audit.jsonl.zst", records);
  auto normalized = run_agent({"normalize", (dir / "audit.jsonl").string()}, dir.path());
  REQUIRE(normalized.exit_code == 0);
  write_zstd(dir / "documents.ndjson.zst", normalized.out);

  std::string first;
  for (const char* file : {"audit.jsonl", "audit.jsonl.zst", "documents.ndjson.zst"}) {
    CAPTURE(file);
    auto r = run_agent({"report", "--period", "2025-01", (dir / file).string()}, dir.path());
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "\"complianceRate\": 99.99"));
    auto doc = parse(r.out);
    const auto& report = doc["report"];
    CHECK(report["summary"]["totalRequests"].GetUint64() == 15'420);
    CHECK(report["summary"]["blockedRequests"].GetUint64() == 1);
    CHECK(std::string(report["complianceStatus"].GetString()) == "COMPLIANT");
    CHECK(report["providerBreakdown"]["none"]["blocked"].GetUint64() == 1);
    CHECK(report["blockedRequests"].Size() == 1);
    CHECK(report["blockedRequests"][0]["requestId"].IsString());
    CHECK(report["violationReasons"]["Prompt contains an email address"].GetUint64() == 31);
    if (first.empty())
      first = figures(r.out);
    else
      CHECK(figures(r.out) == first);
  }
  // From a pipe: zstd known by its first bytes.
  auto piped = run_agent({"report", "--period", "2025-01", "-"}, dir.path(),
                         std::chrono::seconds(60), dir / "audit.jsonl.zst");
  REQUIRE(piped.exit_code == 0);
  CHECK(figures(piped.out) == first);
  // A threshold above the rate turns the status.
  auto strict = run_agent({"report", "--period", "2025-01", "--compliant-threshold", "99.995",
                           (dir / "audit.jsonl").string()},
                          dir.path());
  CHECK(contains(strict.out, "\"complianceStatus\": \"NON_COMPLIANT\""));
}

TEST_CASE("report: CSV per day or per group, the blocked list's cap stated") {
  TempDir dir;
  write_file(dir / "audit.jsonl", seed_records());
  auto daily = run_agent(
      {"report", "--format", "csv", "--period", "2025-01", (dir / "audit.jsonl").string()},
      dir.path());
  REQUIRE(daily.exit_code == 0);
  CHECK(daily.out.rfind("date,requests,allowed,blocked,warned,compliance_rate\r\n", 0) == 0);
  CHECK(std::count(daily.out.begin(), daily.out.end(), '\n') == 32);
  auto grouped = run_agent(
      {"report", "--format", "csv", "--group-by", "provider", (dir / "audit.jsonl").string()},
      dir.path());
  CHECK(grouped.out ==
        "provider,requests,allowed,blocked,warned,compliance_rate\r\n"
        "anthropic,10279,10279,0,21,100.00\r\n"
        "openai,5140,5140,0,10,100.00\r\n"
        "none,1,0,1,0,0.00\r\n");
  auto capped =
      run_agent({"report", "--max-blocked", "0", (dir / "audit.jsonl").string()}, dir.path());
  auto doc = parse(capped.out);
  CHECK(doc["report"]["blockedRequests"].Size() == 0);
  CHECK(doc["report"]["metadata"]["blockedRequestsTruncated"].GetBool());
  CHECK(doc["report"]["metadata"]["blockedRequestsCap"].GetUint64() == 0);
}

TEST_CASE("report: bad input is a clear error and a non-zero exit; bad lines are counted") {
  TempDir dir;
  write_file(dir / "audit.jsonl", GovernanceRecord{.id = "a"}.json() + "\n{oops\n\n[]\n");
  auto r = run_agent({"report", (dir / "audit.jsonl").string()}, dir.path());
  REQUIRE(r.exit_code == 0);
  auto doc = parse(r.out);
  const auto& meta = doc["report"]["metadata"];
  CHECK(meta["recordsSkipped"].GetUint64() == 3);
  CHECK(meta["skippedByReason"]["invalid_json"].GetUint64() == 1);
  CHECK(meta["skippedByReason"]["empty"].GetUint64() == 1);
  CHECK(meta["skippedByReason"]["not_an_object"].GetUint64() == 1);
  CHECK(contains(r.err, "audit.jsonl:"));

  auto missing = run_agent({"report", (dir / "nope.jsonl").string()}, dir.path());
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.err, "nope.jsonl: cannot open: No such file or directory"));
  CHECK(missing.out.empty());

  write_file(dir / "bad.zst", std::string("\x28\xb5\x2f\xfd", 4) + "garbage garbage garbage");
  auto corrupt = run_agent({"report", (dir / "bad.zst").string()}, dir.path());
  CHECK(corrupt.exit_code == 1);
  CHECK(contains(corrupt.err, "bad.zst: corrupt zstd data"));

  auto bad_date =
      run_agent({"report", "--period", "2025-13", (dir / "audit.jsonl").string()}, dir.path());
  CHECK(bad_date.exit_code == 1);
  CHECK(contains(bad_date.err, "--period '2025-13' is not a month (2025-01) or a day"));
  auto both = run_agent({"report", "--period", "2025-01", "--start", "2025-01-01", "--end",
                         "2025-01-02", (dir / "audit.jsonl").string()},
                        dir.path());
  CHECK(both.exit_code == 1);
  CHECK(run_agent({"report"}, dir.path()).exit_code == 2);
  CHECK(run_agent({"report", "--format", "pdf", (dir / "audit.jsonl").string()}, dir.path())
            .exit_code == 2);

  // Usage: -c without --from-elasticsearch, a threshold that is not a percentage.
  CHECK(run_agent({"report", "-c", (dir / "x.yaml").string(), (dir / "audit.jsonl").string()},
                  dir.path())
            .exit_code == 2);
  auto threshold = run_agent(
      {"report", "--compliant-threshold", "099.9", (dir / "audit.jsonl").string()}, dir.path());
  CHECK(threshold.exit_code == 1);
  CHECK(contains(threshold.err, "--compliant-threshold '099.9' is not a percentage"));

  // -o: not onto an input, not onto a directory, and no crash either way.
  auto onto_input = run_agent(
      {"export", "-o", (dir / "audit.jsonl").string(), (dir / "audit.jsonl").string()}, dir.path());
  CHECK(onto_input.exit_code == 1);
  CHECK(contains(onto_input.err, "is also an input"));
  CHECK(read_file(dir / "audit.jsonl").find(R"("id":"a")") != std::string::npos);
  std::filesystem::create_directories(dir / "somedir");
  auto onto_dir = run_agent(
      {"report", "-o", (dir / "somedir").string(), (dir / "audit.jsonl").string()}, dir.path());
  CHECK(onto_dir.exit_code == 1);
  CHECK(contains(onto_dir.err, "somedir: cannot write"));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);

  // Written in full or not at all: a failed report leaves no output file behind.
  auto to_file = run_agent(
      {"report", "-o", (dir / "out.json").string(), (dir / "nope.jsonl").string()}, dir.path());
  CHECK(to_file.exit_code == 1);
  CHECK_FALSE(std::filesystem::exists(dir / "out.json"));
}

TEST_CASE("export: CSV columns, RFC 4180 quoting, filters; JSON documents") {
  TempDir dir;
  std::string records = seed_records();
  records += GovernanceRecord{.id = "q1",
                              .timestamp = "2025-01-20T00:00:00Z",
                              .allowed = false,
                              .reasons_json = R"(["has, comma", "has \"quotes\""])"}
                 .json() +
             "\n";
  write_file(dir / "audit.jsonl", records);
  auto blocked =
      run_agent({"export", "--allowed", "false", (dir / "audit.jsonl").string()}, dir.path());
  REQUIRE(blocked.exit_code == 0);
  std::istringstream lines(blocked.out);
  std::string header, first, second, extra;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  CHECK(header ==
        "id,timestamp,request_id,model,provider,policy_name,allowed,enforcement,violations\r");
  CHECK(contains(first, "audit_4243,"));
  CHECK(contains(first,
                 ",false,hard_block,\"Provider 'deepseek' is China-based, and "
                 "\"\"blocked\"\" by policy\"\r"));
  CHECK(second ==
        "q1,2025-01-20T00:00:00.000Z,req_1,claude-sonnet-4-20250514,anthropic,"
        "Production - HIPAA,false,hard_block,\"has, comma; has \"\"quotes\"\"\"\r");
  CHECK_FALSE(std::getline(lines, extra));

  auto json = run_agent({"export", "--format", "json", "--provider", "openai", "--start",
                         "2025-01-01", "--end", "2025-01-01", (dir / "audit.jsonl").string()},
                        dir.path());
  REQUIRE(json.exit_code == 0);
  auto doc = parse(json.out);
  REQUIRE(doc.IsArray());
  CHECK(doc.Size() == 166);  // openai on the 1st: i % 3 == 0 and i % 31 == 0
  CHECK(std::string(doc[0]["gen_ai"]["system"].GetString()) == "openai");
  CHECK(std::string(doc[0]["data_stream"]["dataset"].GetString()) == "policy_gateway.audit");

  auto all = run_agent({"export", "-o", (dir / "all.csv").string(), (dir / "audit.jsonl").string()},
                       dir.path());
  REQUIRE(all.exit_code == 0);
  CHECK(read_lines(dir / "all.csv").size() == 15'422);
}

TEST_CASE("report --from-elasticsearch: one aggregation query, the same figures as the files") {
  TempDir dir;
  // The cluster wants the output's API key: the report must use the output's credentials, and
  // never show them.
  const std::string api_key = "reporter:api-key-S3CRET-7";
  FakeElasticsearch es(dir.path(),
                       {"--store-documents", "--api-key", "cmVwb3J0ZXI6YXBpLWtleS1TM0NSRVQtNw=="});
  TailToFile c;
  c.schema = "auto";
  c.output_yaml =
      "    - name: es\n"
      "      type: elasticsearch\n"
      "      hosts: [\"" +
      es.url() +
      "\"]\n"
      "      api_key: \"" +
      api_key + "\"\n";
  write_tail_to_file_config(dir, c);
  write_file(dir / "in" / "audit.jsonl", seed_records());
  auto run = run_agent({"run", "-c", (dir / "agent.yaml").string(), "--once"}, dir.path(),
                       std::chrono::seconds(120));
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  REQUIRE(es.indexed() == 15'420);

  for (std::vector<std::string> extra :
       {std::vector<std::string>{"--period", "2025-01"},
        std::vector<std::string>{"--period", "2025-01-07", "--group-by", "decision"},
        std::vector<std::string>{"--granularity", "monthly", "--provider", "none"},
        std::vector<std::string>{"--policy", "Production - HIPAA", "--group-by", "provider",
                                 "--start", "2025-01-03", "--end", "2025-01-05T10:30:00Z"}}) {
    CAPTURE(extra[1]);
    std::vector<std::string> from_es{"report", "--from-elasticsearch", "-c",
                                     (dir / "agent.yaml").string()};
    std::vector<std::string> from_files{"report", (dir / "in" / "audit.jsonl").string()};
    from_es.insert(from_es.end(), extra.begin(), extra.end());
    from_files.insert(from_files.end(), extra.begin(), extra.end());
    auto cluster = run_agent(from_es, dir.path());
    auto files = run_agent(from_files, dir.path());
    REQUIRE_MESSAGE(cluster.exit_code == 0, cluster.err);
    REQUIRE(files.exit_code == 0);
    CHECK_FALSE(contains(cluster.out + cluster.err, "S3CRET"));
    CHECK(figures(cluster.out) == figures(files.out));
    auto doc = parse(cluster.out);
    CHECK(std::string(doc["report"]["metadata"]["source"].GetString()) == "elasticsearch");
  }

  // export from the cluster: every matching document, a page of 1,000 at a time (16 pages),
  // the same rows as from the file (in time order rather than file order).
  auto sorted_lines = [](const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  for (std::vector<std::string> extra :
       {std::vector<std::string>{"--period", "2025-01"},
        std::vector<std::string>{"--allowed", "false"},
        std::vector<std::string>{"--provider", "openai", "--allowed", "true"}}) {
    CAPTURE(extra[0]);
    std::vector<std::string> from_es{"export", "--from-elasticsearch", "-c",
                                     (dir / "agent.yaml").string()};
    std::vector<std::string> from_file{"export", (dir / "in" / "audit.jsonl").string()};
    from_es.insert(from_es.end(), extra.begin(), extra.end());
    from_file.insert(from_file.end(), extra.begin(), extra.end());
    auto cluster = run_agent(from_es, dir.path());
    auto file = run_agent(from_file, dir.path());
    REQUIRE_MESSAGE(cluster.exit_code == 0, cluster.err);
    REQUIRE(file.exit_code == 0);
    CHECK(sorted_lines(cluster.out) == sorted_lines(file.out));
    CHECK_FALSE(contains(cluster.out + cluster.err, "S3CRET"));
  }
  auto json_export = run_agent(
      {"export", "--format", "json", "--from-elasticsearch", "-c", (dir / "agent.yaml").string()},
      dir.path());
  REQUIRE(json_export.exit_code == 0);
  CHECK(parse(json_export.out).Size() == 15'420);

  // Wrong credentials: said plainly, without the key.
  std::string wrong = read_file(dir / "agent.yaml");
  wrong.replace(wrong.find(api_key), api_key.size(), "reporter:wrong-S3CRET-8");
  write_file(dir / "wrong.yaml", wrong);
  auto refused = run_agent({"report", "--from-elasticsearch", "-c", (dir / "wrong.yaml").string()},
                           dir.path());
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "refused the credentials"));
  CHECK_FALSE(contains(refused.err, "S3CRET"));

  // An Elasticsearch error is reported plainly, with a non-zero exit.
  auto missing = run_agent({"report", "--from-elasticsearch", "-c", (dir / "agent.yaml").string(),
                            "--index", "no-such-index"},
                           dir.path());
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.err, "404"));
  CHECK(contains(missing.err, "no-such-index"));
  CHECK_FALSE(contains(missing.err, "S3CRET"));
  es.down(std::chrono::seconds(60));
  auto down = run_agent({"report", "--from-elasticsearch", "-c", (dir / "agent.yaml").string()},
                        dir.path());
  CHECK(down.exit_code == 1);
  CHECK(contains(down.err, "no host answered"));
}

#ifdef AUDITRELAY_REPORT_HTML_CHECK
TEST_CASE("report --format html: one self-contained page, checked in headless Chromium") {
  TempDir dir;
  write_file(dir / "audit.jsonl", seed_records());
  auto r = run_agent({"report", "--format", "html", "--period", "2025-01", "-o",
                      (dir / "report.html").string(), (dir / "audit.jsonl").string()},
                     dir.path());
  REQUIRE(r.exit_code == 0);
  Process check({AUDITRELAY_NODE, AUDITRELAY_REPORT_HTML_CHECK, "--html",
                 (dir / "report.html").string(), "--screenshot", (dir / "report.png").string()},
                dir / "check.out", dir / "check.err",
                {std::string("CHROMIUM=") + AUDITRELAY_REPORT_HTML_CHROMIUM});
  std::optional<int> code = check.wait(std::chrono::seconds(100));
  const std::string said = read_file(dir / "check.out") + read_file(dir / "check.err");
  CHECK_MESSAGE(code == 0, said);
  CHECK(std::filesystem::file_size(dir / "report.png") > 10'000);
}
#endif
