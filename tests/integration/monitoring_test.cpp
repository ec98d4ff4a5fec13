// The monitoring server (service.http_server) of the real binary: health that follows a failing
// output, Prometheus metrics that count what was delivered, status (outputs, and the files the
// tail input follows), and its configuration.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

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
using auditrelay::fakes::HttpResult;
using std::chrono::seconds;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void write_config(const TempDir& dir, const FakeElasticsearch& es, const std::string& listen,
                  const std::string& storage = "{path: state}") {
  TailToFile c;
  c.storage = storage;
  if (!listen.empty()) {
    c.extra_service = "  http_server: {listen: \"" + listen + "\", output_failing_after: 0s}\n";
  }
  c.output_yaml =
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

TEST_CASE("monitoring: health follows a failing output; metrics count what was delivered") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"requests_status":503,"requests_count":1000000})");
  write_config(dir, es, "127.0.0.1:0");
  write_gateway_records(dir / "in" / "a.jsonl", 20);
  auto agent = start_agent(dir);
  const int port = monitoring_port(dir / "agent0.stderr");
  REQUIRE(port > 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  CurlClient client;

  HttpResult health;
  CHECK(wait_until([&] { return (health = client.get(url + "/api/v1/health")).status == 503; },
                   seconds(20)));
  CHECK(health.header("Content-Type") == "application/json");
  CHECK(contains(health.body, R"("status":"unhealthy")"));
  CHECK(contains(health.body, "output es: failing for "));
  HttpResult status = client.get(url + "/api/v1/status");
  CHECK(status.status == 200);
  CHECK(contains(status.body, R"("state":"failing")"));
  CHECK(contains(status.body, R"("backlog_records":20)"));
  {
    // The output's last error and when it is tried next (retry.max 200ms, no Retry-After).
    rapidjson::Document d;
    d.Parse(status.body.c_str());
    REQUIRE(d.IsObject());
    CHECK(d["buffer"]["oldest_record_age_seconds"].IsInt64());
    const auto& es_status = d["outputs"][0u];
    CHECK(std::string(es_status["last_error"].GetString()).find("503") != std::string::npos);
    CHECK(es_status["last_error_at"].IsString());
    REQUIRE(es_status.HasMember("retry_at"));
    CHECK(es_status["retry_at"].IsString());
    CHECK(es_status["retry_in_seconds"].GetDouble() >= 0);
    CHECK(es_status["retry_in_seconds"].GetDouble() <= 0.2);
  }
  Result failing_table = run_agent({"status", "--url", url}, dir.path());
  CHECK(failing_table.exit_code == 1);
  CHECK(contains(failing_table.out, "NEXT RETRY"));
  CHECK(contains(failing_table.out, " in "));

  es.clear_faults();
  CHECK(wait_until([&] { return es.indexed() == 20; }, seconds(20)));
  CHECK(wait_until([&] { return client.get(url + "/api/v1/health").status == 200; }, seconds(10)));
  CHECK(client.get(url + "/api/v1/health").body == R"({"status":"ok"})");
  {
    // Recovered: no retry pending, the last error still shown, with its time.
    rapidjson::Document d;
    d.Parse(client.get(url + "/api/v1/status").body.c_str());
    REQUIRE(d.IsObject());
    const auto& es_status = d["outputs"][0u];
    CHECK(std::string(es_status["state"].GetString()) == "ok");
    CHECK(!es_status.HasMember("retry_at"));
    CHECK(std::string(es_status["last_error"].GetString()).find("503") != std::string::npos);
  }

  HttpResult metrics = client.get(url + "/api/v1/metrics/prometheus");
  CHECK(metrics.status == 200);
  CHECK(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(contains(metrics.body, "auditrelay_build_info{version=\""));
  CHECK(
      contains(metrics.body, "\nauditrelay_output_documents_delivered_total{output=\"es\"} 20\n"));
  CHECK(contains(metrics.body, "\nauditrelay_buffer_appended_records_total 20\n"));
  CHECK(contains(metrics.body, "# TYPE auditrelay_output_backlog_records gauge\n"));
  CHECK(contains(metrics.body, "# TYPE auditrelay_buffer_oldest_record_age_seconds gauge\n"));
  CHECK(contains(metrics.body, "\nauditrelay_output_requests_in_flight{output=\"es\"} 0\n"));
  CHECK(contains(metrics.body, "\nauditrelay_input_records_total{input=\"gateway\"} 20\n"));
  CHECK(contains(metrics.body,
                 "\nauditrelay_policy_decisions_total{decision=\"allowed\","
                 "dataset=\"policy_gateway.audit\"} 20\n"));

  CHECK(client.get(url + "/nope").status == 404);
  CHECK(client.request("POST", url + "/api/v1/health").status == 405);
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
}

TEST_CASE("monitoring: status shows the tail input's file, its offset reaching the file's size") {
  TempDir dir;
  TailToFile c;
  c.extra_service = "  http_server: {listen: \"127.0.0.1:0\"}\n";
  write_tail_to_file_config(dir, c);
  const std::filesystem::path file = dir / "in" / "a.jsonl";
  write_gateway_records(file, 20);
  auto agent = start_agent(dir);
  const int port = monitoring_port(dir / "agent0.stderr");
  REQUIRE(port > 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  CurlClient client;

  // The input as the status page shows it, once its offset is the file's size and it has
  // handed in `records`.
  rapidjson::Document doc;
  auto caught_up = [&](uint64_t records) {
    const uint64_t size = std::filesystem::file_size(file);
    HttpResult status = client.get(url + "/api/v1/status");
    doc.Parse(status.body.c_str());
    if (status.status != 200 || doc.HasParseError() || !doc["inputs"].IsArray() ||
        doc["inputs"].Size() != 1) {
      return false;
    }
    const rapidjson::Value& files = doc["inputs"][0]["files"];
    return files.Size() == 1 && files[0]["offset"].GetUint64() == size &&
           doc["inputs"][0]["records"].GetUint64() == records;
  };
  REQUIRE(wait_until([&] { return caught_up(20); }, seconds(20)));
  const uint64_t size = std::filesystem::file_size(file);
  const rapidjson::Value& input = doc["inputs"][0];
  CHECK(std::string(input["name"].GetString()) == "gateway");
  CHECK(std::string(input["type"].GetString()) == "tail");
  CHECK_FALSE(input["paused"].GetBool());
  const rapidjson::Value& followed = input["files"][0];
  CHECK(std::filesystem::equivalent(followed["path"].GetString(), file));
  CHECK(followed["size"].GetUint64() == size);
  CHECK(followed["lag_bytes"].GetUint64() == 0);
  CHECK_FALSE(followed["rotated"].GetBool());
  CHECK(doc["outputs"].Size() == 1);  // the outputs are still there

  Result table = run_agent({"status", "--url", url}, dir.path());
  CAPTURE(table.out);
  CHECK(table.exit_code == 0);
  CHECK(contains(table.out, "\ninputs:\n  INPUT    TYPE  RECORDS  RATE  PAUSED  FILES  LAG\n"));
  CHECK(contains(table.out, "\n  gateway  tail  20       -     no      1      0 B\n"));
  CHECK(contains(table.out, "\noutputs:\n"));

  // More lines: the offset follows them to the new end.
  append_file(file, gateway_record(20) + "\n" + gateway_record(21) + "\n");
  CHECK(wait_until([&] { return caught_up(22); }, seconds(20)));

  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
}

TEST_CASE("monitoring: while the buffer is full the input is paused and its file's lag grows") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"requests_status":503,"requests_count":1000000})");
  // max_bytes of one byte: the first batch goes in, every later one waits for room that the
  // failing output never makes.
  write_config(dir, es, "127.0.0.1:0", "{path: state, max_bytes: 1, when_full: block}");
  const std::filesystem::path file = dir / "in" / "a.jsonl";
  write_gateway_records(file, 5);
  auto agent = start_agent(dir);
  const int port = monitoring_port(dir / "agent0.stderr");
  REQUIRE(port > 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  CurlClient client;
  rapidjson::Document doc;
  auto status = [&] {
    HttpResult answer = client.get(url + "/api/v1/status");
    doc.Parse(answer.body.c_str());
    return answer.status == 200 && !doc.HasParseError() && doc["inputs"].Size() == 1 &&
           doc["inputs"][0]["files"].Size() == 1;
  };
  REQUIRE(wait_until([&] { return status() && doc["buffer"]["records"].GetUint64() == 5; },
                     seconds(20)));
  CHECK_FALSE(doc["inputs"][0]["paused"].GetBool());

  const uint64_t before = std::filesystem::file_size(file);
  append_file(file, gateway_record(5) + "\n" + gateway_record(6) + "\n");
  const uint64_t added = std::filesystem::file_size(file) - before;
  // The first batch's offset is committed after its fsync, which may come a moment later.
  REQUIRE(wait_until(
      [&] {
        return status() && doc["inputs"][0]["paused"].GetBool() &&
               doc["inputs"][0]["files"][0]["offset"].GetUint64() == before;
      },
      seconds(20)));
  CHECK(doc["buffer"]["full"].GetBool());
  CHECK(doc["inputs"][0]["files"][0]["lag_bytes"].GetUint64() == added);

  // The output catches up: the input resumes and its offset reaches the end.
  es.clear_faults();
  CHECK(wait_until(
      [&] {
        return status() && !doc["inputs"][0]["paused"].GetBool() &&
               doc["inputs"][0]["files"][0]["lag_bytes"].GetUint64() == 0 &&
               doc["inputs"][0]["records"].GetUint64() == 7;
      },
      seconds(20)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
}

TEST_CASE("monitoring: off unless configured; a listen address that is not one is refused") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  write_config(dir, es, "");
  auto agent = start_agent(dir);
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  CHECK_FALSE(contains(read_file(dir / "agent0.stderr"), "monitoring"));

  for (const char* bad : {"127.0.0.1:http", "127.0.0.1:70000", "[::1"}) {
    CAPTURE(bad);
    write_config(dir, es, bad);
    Result check = run_agent({"check", "-c", (dir / "agent.yaml").string()}, dir.path());
    CHECK(check.exit_code != 0);
    CHECK(contains(check.err, "agent.yaml"));
    CHECK(contains(check.err, "listen"));
  }
}
