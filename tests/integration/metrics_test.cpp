// The operator's view of the real binary: its Prometheus exposition passes `promtool check
// metrics` and counts what was sent, and `auditrelay status` reads the running agent.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_elasticsearch_handle.h"
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
  CHECK(contains(healthy.out, "\n  es       ok     0        -       -     caught up  -\n"));

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

  // promtool: exit 0 and nothing to say (a lint warning counts as a failure).
  write_file(dir / "metrics.txt", metrics);
  Process check({tool, "check", "metrics"}, dir / "promtool.stdout", dir / "promtool.stderr", {},
                dir / "metrics.txt");
  const int promtool_exit = check.wait(seconds(30)).value_or(-1);
  const std::string said = read_file(dir / "promtool.stdout") + read_file(dir / "promtool.stderr");
  CAPTURE(said);
  CHECK(promtool_exit == 0);
  CHECK(said.empty());

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
