#include "agent/core/monitoring.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace auditrelay;

namespace {

struct Fixture {
  Health health;
  MetricsRegistry metrics;
  buffer::QueueStats stats;
  Monitoring monitoring{health, metrics, [this] { return stats; }};

  Fixture() {
    stats.segments = 2;
    stats.bytes_on_disk = 4096;
    stats.first_seq = 10;
    stats.next_seq = 30;
    buffer::OutputBacklog es;
    es.output = "es";
    es.cursor = 25;
    es.records = 5;
    es.bytes = 1024;
    es.oldest = std::chrono::system_clock::now() - std::chrono::seconds(90);
    stats.outputs.push_back(es);
  }
};

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string header(const MonitoringAnswer& a, std::string_view name) {
  for (const auto& [k, v] : a.headers) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

TEST_CASE("health: 200 ok, then 503 with the reasons") {
  Fixture f;
  MonitoringAnswer ok = f.monitoring.answer("GET", "/api/v1/health");
  CHECK(ok.status == 200);
  CHECK(ok.body == R"({"status":"ok"})");
  CHECK(header(ok, "Content-Type") == "application/json");

  f.health.condition("output hook", Health::Kind::kOutputDisabled).set("410 Gone");
  MonitoringAnswer bad = f.monitoring.answer("GET", "/api/v1/health");
  CHECK(bad.status == 503);
  rapidjson::Document doc = parse(bad.body);
  CHECK(std::string(doc["status"].GetString()) == "unhealthy");
  REQUIRE(doc["reasons"].Size() == 1);
  CHECK(std::string(doc["reasons"][0].GetString()).rfind("output hook: disabled for ", 0) == 0);
}

TEST_CASE("metrics: the registry's exposition with buffer and backlog gauges refreshed") {
  Fixture f;
  MonitoringAnswer m = f.monitoring.answer("GET", "/api/v1/metrics/prometheus");
  CHECK(m.status == 200);
  CHECK(header(m, "Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(m.body.find("auditrelay_build_info{version=\"") != std::string::npos);
  CHECK(m.body.find("\nauditrelay_buffer_segments 2\n") != std::string::npos);
  CHECK(m.body.find("\nauditrelay_buffer_records 20\n") != std::string::npos);
  CHECK(m.body.find("\nauditrelay_output_backlog_records{output=\"es\"} 5\n") != std::string::npos);
  CHECK(m.body.find("auditrelay_output_oldest_undelivered_age_seconds{output=\"es\"} 9") !=
        std::string::npos);  // 90 s, or 91 if the second turned

  f.stats.outputs[0].records = 0;
  f.stats.outputs[0].oldest.reset();
  m = f.monitoring.answer("GET", "/api/v1/metrics/prometheus");
  CHECK(m.body.find("\nauditrelay_output_backlog_records{output=\"es\"} 0\n") != std::string::npos);
  CHECK(m.body.find("\nauditrelay_output_oldest_undelivered_age_seconds{output=\"es\"} 0\n") !=
        std::string::npos);
}

TEST_CASE("status: buffer and outputs, with an output's problem and last error") {
  Fixture f;
  f.health.condition("output es", Health::Kind::kOutputFailing).set("connection refused");
  MonitoringAnswer s = f.monitoring.answer("GET", "/api/v1/status");
  CHECK(s.status == 200);
  rapidjson::Document doc = parse(s.body);
  CHECK(std::string(doc["status"].GetString()) == "ok");  // within the grace period
  CHECK(doc["buffer"]["records"].GetUint64() == 20);
  CHECK_FALSE(doc["buffer"]["full"].GetBool());
  const rapidjson::Value& es = doc["outputs"][0];
  CHECK(std::string(es["name"].GetString()) == "es");
  CHECK(std::string(es["state"].GetString()) == "failing");
  CHECK(std::string(es["last_error"].GetString()) == "connection refused");
  CHECK(es["backlog_records"].GetUint64() == 5);
  CHECK(es["cursor"].GetUint64() == 25);
}

TEST_CASE("status: per input its records, paused while the buffer is full, and its files") {
  Fixture f;
  std::vector<Monitoring::InputReport> inputs(2);
  inputs[0].name = "gateway";
  inputs[0].type = "tail";
  inputs[0].records = 42;
  inputs[0].status.files = std::vector<InputFileStatus>{{"/var/log/a.jsonl", 300, 1000, false},
                                                        {"/var/log/b.jsonl", 50, 50, true}};
  inputs[1].name = "receiver";
  inputs[1].type = "http";
  Monitoring monitoring{f.health, f.metrics, [&] { return f.stats; }, [&] { return inputs; }};

  rapidjson::Document doc = parse(monitoring.answer("GET", "/api/v1/status").body);
  REQUIRE(doc["inputs"].Size() == 2);
  const rapidjson::Value& tail = doc["inputs"][0];
  CHECK(std::string(tail["name"].GetString()) == "gateway");
  CHECK(std::string(tail["type"].GetString()) == "tail");
  CHECK(tail["records"].GetUint64() == 42);
  CHECK_FALSE(tail["paused"].GetBool());
  REQUIRE(tail["files"].Size() == 2);
  const rapidjson::Value& a = tail["files"][0];
  CHECK(std::string(a["path"].GetString()) == "/var/log/a.jsonl");
  CHECK(a["offset"].GetUint64() == 300);
  CHECK(a["size"].GetUint64() == 1000);
  CHECK(a["lag_bytes"].GetUint64() == 700);
  CHECK_FALSE(a["rotated"].GetBool());
  CHECK(tail["files"][1]["lag_bytes"].GetUint64() == 0);
  CHECK(tail["files"][1]["rotated"].GetBool());
  // An input that says nothing of itself: the generic fields only.
  const rapidjson::Value& http = doc["inputs"][1];
  CHECK(std::string(http["name"].GetString()) == "receiver");
  CHECK(http["records"].GetUint64() == 0);
  CHECK_FALSE(http.HasMember("files"));
  CHECK_FALSE(http.HasMember("listen"));
  // The outputs are unchanged by the inputs.
  CHECK(std::string(doc["outputs"][0]["name"].GetString()) == "es");

  // A file truncated below its committed offset (not yet noticed): no negative lag.
  inputs[0].status.files->at(0).size = 100;
  f.health.condition("buffer", Health::Kind::kBufferFull).set("storage.max_bytes reached");
  doc = parse(monitoring.answer("GET", "/api/v1/status").body);
  CHECK(doc["buffer"]["full"].GetBool());
  CHECK(doc["inputs"][0]["paused"].GetBool());
  CHECK(doc["inputs"][1]["paused"].GetBool());
  CHECK(doc["inputs"][0]["files"][0]["lag_bytes"].GetUint64() == 0);
}

TEST_CASE("status: an input that listens shows its address, connections and requests") {
  Fixture f;
  std::vector<Monitoring::InputReport> inputs(1);
  inputs[0].name = "receiver";
  inputs[0].type = "http";
  inputs[0].status.listen = "127.0.0.1:8080";
  inputs[0].status.connections = 3;
  inputs[0].status.requests_in_flight = 2;
  Monitoring monitoring{f.health, f.metrics, [&] { return f.stats; }, [&] { return inputs; }};
  rapidjson::Document doc = parse(monitoring.answer("GET", "/api/v1/status").body);
  const rapidjson::Value& http = doc["inputs"][0];
  CHECK(std::string(http["listen"].GetString()) == "127.0.0.1:8080");
  CHECK(http["connections"].GetUint64() == 3);
  CHECK(http["requests_in_flight"].GetUint64() == 2);
  CHECK_FALSE(http.HasMember("files"));
}

TEST_CASE("status: no inputs known, an empty list") {
  Fixture f;
  rapidjson::Document doc = parse(f.monitoring.answer("GET", "/api/v1/status").body);
  REQUIRE(doc["inputs"].IsArray());
  CHECK(doc["inputs"].Size() == 0);
}

TEST_CASE("other paths 404, other methods 405 with Allow") {
  Fixture f;
  CHECK(f.monitoring.answer("GET", "/").status == 404);
  CHECK(f.monitoring.answer("GET", "/api/v1/healthz").status == 404);
  MonitoringAnswer post = f.monitoring.answer("POST", "/api/v1/health");
  CHECK(post.status == 405);
  CHECK(header(post, "Allow") == "GET, HEAD");
}
