// The operator's view of the real binary: its Prometheus exposition passes `promtool check
// metrics` and counts what was sent, and `auditrelay status` reads the running agent.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/fakes/raw_client.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;
using auditrelay::fakes::CurlClient;
using auditrelay::fakes::FakeElasticsearch;
using std::chrono::seconds;

namespace {

constexpr int kRecords = 50;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// promtool from the PATH (packaging/install-deps.sh installs Debian's prometheus package).
std::string promtool() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    std::filesystem::path p = std::filesystem::path(dir) / "promtool";
    if (std::filesystem::exists(p)) return p.string();
  }
  return "";
}

// A gateway record with the given decision.
std::string decided(int seq, const std::string& decision) {
  std::string record = gateway_record(seq);
  const std::string allow = R"("decision":"allow")";
  return record.replace(record.find(allow), allow.size(), R"("decision":")" + decision + "\"");
}

// `promtool check metrics` on `exposition`: exit 0 and nothing to say (a lint warning counts as
// a failure).
void check_with_promtool(const TempDir& dir, const std::string& exposition) {
  write_file(dir / "metrics.txt", exposition);
  Process check({promtool(), "check", "metrics"}, dir / "promtool.stdout", dir / "promtool.stderr",
                {}, dir / "metrics.txt");
  const int exit_code = check.wait(seconds(30)).value_or(-1);
  const std::string said = read_file(dir / "promtool.stdout") + read_file(dir / "promtool.stderr");
  CAPTURE(said);
  CHECK(exit_code == 0);
  CHECK(said.empty());
}

// tail → a file output "archive" and an elasticsearch output "es" (the fake).
void write_config(const TempDir& dir, const FakeElasticsearch& es) {
  TailToFile c;
  c.extra_service = "  http_server: {listen: \"127.0.0.1:0\", output_failing_after: 0s}\n";
  c.output_yaml =
      "    - name: archive\n"
      "      type: file\n"
      "      path: out.ndjson\n"
      "    - name: es\n"
      "      type: elasticsearch\n"
      "      hosts: [\"" +
      es.url() +
      "\"]\n"
      "      batch: {flush_interval: 20ms}\n"
      "      retry: {initial: 20ms, max: 200ms}\n";
  write_tail_to_file_config(dir, c);
}

}  // namespace

TEST_CASE("metrics: promtool accepts the exposition; counters match what was sent; status") {
  const std::string tool = promtool();
  REQUIRE_MESSAGE(!tool.empty(), "promtool is missing: run packaging/install-deps.sh");
  TempDir dir;
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"requests_status":503,"requests_count":1000000})");
  write_config(dir, es);
  write_gateway_records(dir / "in" / "a.jsonl", kRecords);
  auto agent = start_agent(dir);
  const int port = monitoring_port(dir / "agent0.stderr");
  REQUIRE(port > 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  CurlClient client;

  // The file output has everything; es fails and holds the whole backlog.
  CHECK(wait_until([&] { return read_lines(dir / "out.ndjson").size() == kRecords; }, seconds(20)));
  CHECK(wait_until(
      [&] {
        std::string body = client.get(url + "/api/v1/status").body;
        return contains(body, R"("state":"failing")") &&
               contains(body, R"("backlog_records":)" + std::to_string(kRecords));
      },
      seconds(20)));
  Result unhealthy = run_agent({"status", "--url", url, "--interval", "0.2"}, dir.path());
  CAPTURE(unhealthy.out);
  CAPTURE(unhealthy.err);
  CHECK(unhealthy.exit_code == 1);
  CHECK(contains(unhealthy.out, "UNHEALTHY"));
  CHECK(contains(unhealthy.out, "output es: failing for "));
  CHECK(contains(unhealthy.out, "\n  es       failing  " + std::to_string(kRecords) + " "));
  CHECK(contains(unhealthy.out, "\n  archive  ok       0 "));
  CHECK(contains(unhealthy.out, "503"));  // es's last error

  es.clear_faults();
  CHECK(wait_until([&] { return es.indexed() == kRecords; }, seconds(20)));
  CHECK(wait_until([&] { return client.get(url + "/api/v1/health").status == 200; }, seconds(10)));
  Result healthy = run_agent({"status", "--url", url + "/"}, dir.path());
  CAPTURE(healthy.out);
  CHECK(healthy.exit_code == 0);
  CHECK(contains(healthy.out, ": healthy\n"));
  // Recovered: nothing due, and the last error kept with its age.
  CHECK(contains(healthy.out,
                 "\n  es       ok     0        -       -     caught up  -           http_503 ("));
  CHECK(contains(healthy.out, " ago)\n"));

  // The counters: what was appended, what each output delivered, what es answered.
  std::string metrics;
  auto has = [&](const std::string& line) { return contains(metrics, "\n" + line + "\n"); };
  const std::string n = std::to_string(kRecords);
  CHECK(wait_until(
      [&] {
        metrics = client.get(url + "/api/v1/metrics/prometheus").body;
        return has("auditrelay_output_documents_delivered_total{output=\"es\"} " + n);
      },
      seconds(10)));
  CHECK(has("auditrelay_buffer_appended_records_total " + n));
  CHECK(has("auditrelay_output_documents_written_total{output=\"archive\"} " + n));
  CHECK(has("auditrelay_output_backlog_records{output=\"es\"} 0"));
  CHECK(
      contains(metrics, "\nauditrelay_output_http_responses_total{output=\"es\",status=\"503\"} "));
  CHECK(
      contains(metrics, "\nauditrelay_output_http_responses_total{output=\"es\",status=\"200\"} "));
  CHECK(contains(metrics,
                 "\nauditrelay_output_request_duration_seconds_bucket{output=\"es\","
                 "le=\"+Inf\"} "));
  CHECK(contains(metrics, "# TYPE auditrelay_output_request_duration_seconds histogram\n"));

  check_with_promtool(dir, metrics);

  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
}

TEST_CASE("metrics: the HTTP input's counters pass promtool and match the requests sent") {
  REQUIRE_MESSAGE(!promtool().empty(), "promtool is missing: run packaging/install-deps.sh");
  TempDir dir;
  write_file(dir / "agent.yaml",
             "service:\n"
             "  log_level: debug\n"
             "  storage: {path: state}\n"
             "  http_server: {listen: \"127.0.0.1:0\"}\n"
             "pipeline:\n"
             "  normalize: {namespace: test}\n"
             "  inputs:\n"
             "    - name: api\n"
             "      type: http\n"
             "      listen: 127.0.0.1:0\n"
             "      schema: policy_gateway\n"
             "      token: s3cret\n"
             "      max_body_bytes: 20000\n"
             "      max_decompressed_bytes: 100000\n"
             "  outputs:\n"
             "    - type: file\n"
             "      path: out.ndjson\n");
  auto agent = start_agent(dir);
  const int input_port = http_input_port(dir / "agent0.stderr", "api");
  const int port = monitoring_port(dir / "agent0.stderr");
  REQUIRE(input_port > 0);
  REQUIRE(port > 0);
  const std::string input = "http://127.0.0.1:" + std::to_string(input_port) + "/v1/audit";
  const std::vector<std::string> auth{"Authorization: Bearer s3cret",
                                      "Content-Type: application/x-ndjson"};
  CurlClient client;

  // 200: three allowed, two blocked, one rewritten; two lines that are not JSON and an object
  // without the schema's fields are rejected.
  const std::string mixed = gateway_record(0) + "\n" + gateway_record(1) + "\n" +
                            gateway_record(2) + "\n" + decided(3, "deny") + "\n" +
                            decided(4, "block") + "\n" + decided(5, "redact") +
                            "\nnot json\n{\"x\":1}\n{broken\n";
  auto r = client.post(input, mixed, auth);
  CHECK(r.status == 200);
  CHECK(contains(r.body, R"("accepted":6)"));
  // 200 again: one allowed record, gzipped.
  CHECK(client
            .post(input, auditrelay::fakes::gzip(gateway_record(6) + "\n"),
                  {"Authorization: Bearer s3cret", "Content-Type: application/x-ndjson",
                   "Content-Encoding: gzip"})
            .status == 200);
  // 400: every record rejected (counted as rejected records too).
  CHECK(client.post(input, "nope\n", auth).status == 400);
  // 401 twice: no token, a wrong one; their records are not read.
  CHECK(client.post(input, gateway_record(7), {"Content-Type: application/json"}).status == 401);
  CHECK(client
            .post(input, gateway_record(8),
                  {"Authorization: Bearer s3cre", "Content-Type: application/json"})
            .status == 401);
  // 413: a gzip bomb, over max_decompressed_bytes once inflated.
  CHECK(client
            .post(input, auditrelay::fakes::gzip(std::string(1 << 20, ' ')),
                  {"Authorization: Bearer s3cret", "Content-Encoding: gzip", "Content-Type:"})
            .status == 413);
  // 415: a coding the input does not know.
  CHECK(client
            .post(input, gateway_record(9),
                  {"Authorization: Bearer s3cret", "Content-Encoding: br",
                   "Content-Type: application/json"})
            .status == 415);
  // 405: not a POST.
  CHECK(client.get(input).status == 405);
  // Answered by the server itself, before the input sees a request: 413 for a body over
  // max_body_bytes (20000), 400 for a malformed request line.
  CHECK(client.post(input, std::string(30'000, ' '), auth).status == 413);
  {
    auditrelay::fakes::RawClient raw(input_port);
    raw.send("BLAH /v1/audit HTTP/1.1 oops\r\n\r\n");
    auto answers = raw.read(1);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].status == 400);
  }

  std::string metrics =
      client.get("http://127.0.0.1:" + std::to_string(port) + "/api/v1/metrics/prometheus").body;
  CAPTURE(metrics);
  auto has = [&](const std::string& line) { return contains(metrics, "\n" + line + "\n"); };
  auto requests = [](const std::string& status) {
    return "auditrelay_http_requests_total{input=\"api\",status=\"" + status + "\"} ";
  };
  CHECK(has(requests("200") + "2"));
  CHECK(has(requests("400") + "2"));
  CHECK(has(requests("401") + "2"));
  CHECK(has(requests("405") + "1"));
  CHECK(has(requests("413") + "2"));
  CHECK(has(requests("415") + "1"));
  size_t statuses = 0;
  for (size_t at = 0;
       (at = metrics.find("\nauditrelay_http_requests_total{", at)) != std::string::npos; ++at)
    ++statuses;
  CHECK(statuses == 6);  // no other status was counted
  // Records: those of the 200s and the 400 reached the pipeline (9 + 1 + 1).
  CHECK(has("auditrelay_http_records_received_total{input=\"api\"} 11"));
  CHECK(has("auditrelay_input_records_total{input=\"api\"} 11"));
  CHECK(has("auditrelay_records_rejected_total{reason=\"invalid_json\"} 3"));
  CHECK(has("auditrelay_records_rejected_total{reason=\"missing_field\"} 1"));
  CHECK(has("auditrelay_buffer_appended_records_total 7"));
  auto decisions = [](const std::string& decision) {
    return "auditrelay_policy_decisions_total{decision=\"" + decision +
           "\",dataset=\"policy_gateway.audit\"} ";
  };
  CHECK(has(decisions("allowed") + "4"));
  CHECK(has(decisions("blocked") + "2"));
  CHECK(has(decisions("rewritten") + "1"));
  CHECK(has(decisions("warned") + "0"));

  check_with_promtool(dir, metrics);
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
}

TEST_CASE("status: a slowly draining output shows its delivery rate and the time left") {
  constexpr int kBacklog = 3000;
  TempDir dir;
  FakeElasticsearch es(dir.path());
  // At most 20 records per 100 ms: a backlog of 3000 takes 15 s or more to go.
  es.set_faults(R"({"delay_ms":100})");
  TailToFile c;
  c.extra_service = "  http_server: {listen: \"127.0.0.1:0\"}\n";
  c.output_yaml =
      "    - name: es\n      type: elasticsearch\n      hosts: [\"" + es.url() +
      "\"]\n      concurrency: 1\n      batch: {max_records: 20, flush_interval: 20ms}\n";
  write_tail_to_file_config(dir, c);
  write_gateway_records(dir / "in" / "a.jsonl", kBacklog);
  auto agent = start_agent(dir);
  const int port = monitoring_port(dir / "agent0.stderr");
  REQUIRE(port > 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  CurlClient client;
  // Everything read, some delivered, most still to go.
  REQUIRE(wait_until(
      [&] {
        rapidjson::Document d;
        d.Parse(client.get(url + "/api/v1/status").body.c_str());
        if (d.HasParseError() || !d.HasMember("outputs") || !d.HasMember("inputs")) return false;
        const rapidjson::Value& out = d["outputs"][0];
        return d["inputs"][0]["records"].GetUint64() == kBacklog && out["cursor"].GetUint64() > 0 &&
               out["backlog_records"].GetUint64() > 0;
      },
      seconds(20)));

  Result r = run_agent({"status", "--url", url, "--interval", "1"}, dir.path());
  CAPTURE(r.out);
  CAPTURE(r.err);
  CHECK(r.exit_code == 0);
  // "  es  ok  BACKLOG  OLDEST  RATE  DRAIN-IN  NEXT-RETRY  LAST-ERROR"
  std::vector<std::string> row;
  {
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("  es ", 0) != 0) continue;
      std::istringstream words(line);
      for (std::string word; words >> word;)
        row.push_back(word);
    }
  }
  REQUIRE(row.size() == 8);
  CHECK(row[1] == "ok");
  const uint64_t backlog = std::stoull(row[2]);
  CHECK(backlog > 0);
  CHECK(backlog < kBacklog);
  std::smatch rate_match;
  REQUIRE(std::regex_match(row[4], rate_match, std::regex(R"((\d+)/s)")));
  const double rate = std::stod(rate_match[1].str());
  CHECK(rate >= 1);
  // The time left is the backlog over the rate, rounded up; the rate shown is rounded.
  std::smatch drain_match;
  REQUIRE(std::regex_match(row[5], drain_match, std::regex(R"((?:(\d+)m)?(\d+)s)")));
  const uint64_t drain = (drain_match[1].matched ? std::stoull(drain_match[1].str()) * 60 : 0) +
                         std::stoull(drain_match[2].str());
  const auto estimate = [&](double per_second) {
    return static_cast<uint64_t>(static_cast<double>(backlog) / per_second) + 1;
  };
  CHECK(drain >= estimate(rate + 0.5));
  if (rate > 1) CHECK(drain <= estimate(rate - 0.5));
  CHECK(row[6] == "-");  // not failing: no retry due
  CHECK(row[7] == "-");

  es.clear_faults();
  CHECK(wait_until([&] { return es.indexed() == kBacklog; }, seconds(60)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
}

TEST_CASE("status: an agent that cannot be reached is exit 2, naming the URL and the setting") {
  TempDir dir;
  // Nothing listens on port 1 (privileged, never our test servers).
  Result r = run_agent({"status", "--url", "http://127.0.0.1:1"}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "http://127.0.0.1:1/api/v1/status"));
  CHECK(contains(r.err, "service.http_server.listen"));
}
