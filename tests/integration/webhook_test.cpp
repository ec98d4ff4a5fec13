// The webhook output end to end: the real binary tails records of both gateway schemas into
// the fake webhook receiver (tests/fakes/fake_webhook), which checks every signature with the
// official `standardwebhooks` package, while the fake misbehaves.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_webhook_handle.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;
using auditrelay::fakes::FakeWebhook;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
// Another 24-byte key, for rotation.
constexpr const char* kNewSecret = "whsec_YW5vdGhlciBrZXkgb2YgMjQgYnl0ZXMh";

void write_config(const TempDir& dir, const FakeWebhook& hook, const std::string& extra = "",
                  const std::string& secret_yaml = "", const std::string& extra_service = "") {
  TailToFile c;
  c.extra_service = extra_service;
  c.schema = "auto";
  c.output_yaml =
      "    - name: hook\n"
      "      type: webhook\n"
      "      url: \"" +
      hook.url() + "/\"\n" +
      (secret_yaml.empty() ? "      secret: \"" + std::string(kSecret) + "\"\n" : secret_yaml) +
      "      batch: {max_records: 100, flush_interval: 50ms}\n"
      "      retry: {initial: 20ms, max: 1s}\n" +
      extra;
  write_tail_to_file_config(dir, c);
}

std::map<std::string, int> delivered_ids(FakeWebhook& hook) {
  return id_counts(hook.ids());
}

bool distinct_reach(FakeWebhook& hook, size_t n, std::chrono::milliseconds timeout) {
  return wait_until([&] { return delivered_ids(hook).size() >= n; }, timeout);
}

uint64_t stat(FakeWebhook& hook, const char* name) {
  rapidjson::Document stats = hook.stats();
  return stats[name].GetUint64();
}

uint64_t by_status(FakeWebhook& hook, const char* status) {
  rapidjson::Document stats = hook.stats();
  auto it = stats["by_status"].FindMember(status);
  return it == stats["by_status"].MemberEnd() ? 0 : it->value.GetUint64();
}

// Records of both schemas with their own ids, cycling through every decision; returns the
// webhook ids (evt_<record id>) of the blocked and warned ones.
std::set<std::string> write_mixed_records(const std::filesystem::path& path, int n) {
  std::set<std::string> wanted;
  std::string content;
  const char* decisions[] = {"allow", "block", "warn", "rewrite"};
  for (int i = 0; i < n; ++i) {
    const std::string n_text = std::to_string(i);
    if (i % 2 == 0) {
      const char* decision = decisions[(i / 2) % 4];
      content += R"({"id":"pg-)" + n_text + R"(","policy_id":"p","decision":")" + decision +
                 R"(","created_at":"2026-01-16T18:22:11Z","policy_user":"u-)" + n_text + "\"}\n";
      if (std::string(decision) == "block" || std::string(decision) == "warn")
        wanted.insert("evt_pg-" + n_text);
    } else {
      const int kind = (i / 2) % 3;  // allow, block, warn
      content += R"({"id":"ga-)" + n_text + R"(","timestamp":"2025-01-10T14:30:00Z",)" +
                 R"("policyId":"g","allowed":)" + (kind == 1 ? "false" : "true") +
                 R"(,"enforcement":"hard_block","model":"m")" +
                 (kind == 2 ? R"(,"violationReasons":["r"])" : "") + "}\n";
      if (kind != 0) wanted.insert("evt_ga-" + n_text);
    }
  }
  write_file(path, content);
  return wanted;
}

// The accepted requests, parsed, by webhook-id.
std::map<std::string, rapidjson::Document> received_events(FakeWebhook& hook) {
  std::map<std::string, rapidjson::Document> events;
  for (const std::string& line : hook.events()) {
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    REQUIRE_FALSE(doc.HasParseError());
    std::string id = doc["webhook_id"].GetString();
    events[id] = std::move(doc);
  }
  return events;
}

std::string str(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd()) return "<missing>";
  return it->value.IsString() ? it->value.GetString() : "<not a string>";
}

}  // namespace

TEST_CASE("webhook: only blocked and warned events, signed, with the envelope of both schemas") {
  TempDir dir;
  FakeWebhook hook(dir.path(), {"--secret", kSecret});
  write_config(dir, hook);
  std::set<std::string> wanted = write_mixed_records(dir / "in" / "mixed.jsonl", 400);
  // The shared samples: governance_audit has a blocked and a warned record, policy_gateway a
  // blocked and a warned one (their ids are derived, so found by policy below).
  write_file(dir / "in" / "governance.jsonl",
             read_file(shared_dir() / "samples" / "governance_audit.jsonl"));
  write_file(dir / "in" / "gateway.jsonl",
             read_file(shared_dir() / "samples" / "policy_gateway.jsonl"));
  wanted.insert("evt_audit_def456");
  wanted.insert("evt_audit_ghi789");
  const size_t expected = wanted.size() + 2;
  auto agent = start_agent(dir);
  REQUIRE(distinct_reach(hook, expected, seconds(60)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);

  auto ids = delivered_ids(hook);
  CHECK(ids.size() == expected);
  for (const std::string& id : wanted)
    CHECK_MESSAGE(ids.count(id) == 1, id);
  CHECK(stat(hook, "received") == expected);  // nothing else was sent
  CHECK(stat(hook, "invalid_signatures") == 0);
  CHECK(stat(hook, "wrong_content_type") == 0);

  auto events = received_events(hook);
  for (const auto& [id, record] : events) {
    const rapidjson::Value& event = record["event"];
    CHECK(str(event, "id") == id);
    CHECK(record["signatures"].Size() == 1);
    const std::string type = str(event, "type");
    CHECK_MESSAGE((type == "governance.request.blocked" || type == "governance.request.warned"),
                  type);
  }
  const rapidjson::Value& blocked = events.at("evt_audit_def456")["event"];
  CHECK(str(blocked, "type") == "governance.request.blocked");
  CHECK(str(blocked, "timestamp") == "2025-01-10T14:31:00.000Z");
  CHECK(str(blocked["data"], "requestId") == "req_uvw123");
  CHECK(str(blocked["data"], "model") == "deepseek-chat");
  CHECK_FALSE(blocked["data"].HasMember("provider"));  // null: blocked before routing
  CHECK(str(blocked["data"], "policyName") == "Production - HIPAA");
  CHECK(str(blocked["data"], "reasonCode") == "BLOCK");
  CHECK(blocked["data"]["violations"].Size() == 2);
  CHECK(str(blocked["data"], "ipAddress") == "203.0.113.42");
  const rapidjson::Value& warned = events.at("evt_audit_ghi789")["event"];
  CHECK(str(warned, "type") == "governance.request.warned");
  CHECK(str(warned["data"], "provider") == "openai");

  int gateway_samples = 0;
  for (const auto& [id, record] : events) {
    const rapidjson::Value& event = record["event"];
    const std::string policy = str(event["data"], "policyId");
    if (policy == "pii-shield") {
      ++gateway_samples;
      CHECK(str(event, "type") == "governance.request.blocked");
      CHECK(str(event, "timestamp") == "2026-01-16T18:22:14.123Z");
      CHECK(str(event["data"], "userId") == "user-20003");
      CHECK(str(event["data"], "projectId") == "claims-assistant");
      CHECK(str(event["data"], "rolloutMode") == "enforced");
      CHECK(std::string(event["data"]["violations"][0].GetString()) == "pii/credit-card");
    } else if (policy == "tone-check") {
      ++gateway_samples;
      CHECK(str(event, "type") == "governance.request.warned");
      CHECK(str(event["data"], "reasonCode") == "TONE_WARNING");
    }
  }
  CHECK(gateway_samples == 2);
}

TEST_CASE("webhook: two secrets during a rotation, each verified by the receiver") {
  const std::string both =
      "      secrets: [\"" + std::string(kSecret) + "\", \"" + std::string(kNewSecret) + "\"]\n";
  for (const char* receiver_secret : {kSecret, kNewSecret}) {
    CAPTURE(receiver_secret);
    TempDir dir;
    FakeWebhook hook(dir.path(), {"--secret", receiver_secret});
    write_config(dir, hook, "", both);
    std::set<std::string> wanted = write_mixed_records(dir / "in" / "mixed.jsonl", 40);
    auto agent = start_agent(dir);
    REQUIRE(distinct_reach(hook, wanted.size(), seconds(30)));
    CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
    CHECK(stat(hook, "invalid_signatures") == 0);
    for (const auto& [id, record] : received_events(hook))
      CHECK(record["signatures"].Size() == 2);
    const std::string log = read_file(dir / "agent0.stderr");
    CHECK(log.find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == std::string::npos);
    CHECK(log.find("YW5vdGhlciBrZXkgb2YgMjQgYnl0ZXMh") == std::string::npos);
  }
}

TEST_CASE("webhook: a wrong secret is refused by the receiver and dead-lettered") {
  TempDir dir;
  FakeWebhook hook(dir.path(), {"--secret", kNewSecret});
  write_config(dir, hook);  // signs with kSecret only
  write_mixed_records(dir / "in" / "mixed.jsonl", 8);
  auto agent = start_agent(dir);
  const auto dead_letter = dir / "state" / "outputs" / "hook" / "dead_letter.ndjson";
  CHECK(wait_until(
      [&] { return std::filesystem::exists(dead_letter) && stat(hook, "invalid_signatures") >= 4; },
      seconds(20)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  CHECK(stat(hook, "delivered") == 0);
  CHECK(read_file(dead_letter).find("http_401") != std::string::npos);
}

TEST_CASE("webhook: retries with Retry-After keep the same webhook-id") {
  TempDir dir;
  FakeWebhook hook(dir.path(), {"--secret", kSecret});
  hook.set_faults(R"({"status":429,"count":2,"retry_after":"1"})");
  write_config(dir, hook, "      timeout: 700ms\n");
  std::set<std::string> wanted = write_mixed_records(dir / "in" / "mixed.jsonl", 20);
  const auto start = std::chrono::steady_clock::now();
  auto agent = start_agent(dir);
  REQUIRE(distinct_reach(hook, wanted.size(), seconds(30)));
  // Retry-After is a floor: two waits of a second at least.
  CHECK(std::chrono::steady_clock::now() - start >= seconds(2));
  CHECK(by_status(hook, "429") == 2);

  // A receiver that stores the event but answers too late for the agent's timeout: the event
  // comes again with the same id (the receiver deduplicates on it).
  hook.set_faults(R"({"delay_ms":1500})");
  write_file(
      dir / "in" / "late.jsonl",
      R"({"id":"late-1","policy_id":"p","decision":"block","created_at":"2026-01-16T18:22:11Z"})"
      "\n");
  CHECK(wait_until([&] { return delivered_ids(hook)["evt_late-1"] >= 2; }, seconds(30)));
  hook.clear_faults();
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  std::set<int64_t> timestamps;
  for (const std::string& line : hook.events()) {
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    if (std::string(doc["webhook_id"].GetString()) == "evt_late-1") {
      CHECK(str(doc["event"], "id") == "evt_late-1");
      timestamps.insert(doc["webhook_timestamp"].GetInt64());
    }
  }
  CHECK(timestamps.size() >= 1);  // each attempt signs its own time (often the same second)
}

TEST_CASE("webhook: 410 Gone disables the endpoint and dead-letters its events") {
  TempDir dir;
  FakeWebhook hook(dir.path(), {"--secret", kSecret});
  hook.set_faults(R"({"gone":true})");
  write_config(dir, hook, "", "", "  http_server: {listen: \"127.0.0.1:0\"}\n");
  std::set<std::string> wanted = write_mixed_records(dir / "in" / "mixed.jsonl", 60);
  auto agent = start_agent(dir);
  const auto dead_letter = dir / "state" / "outputs" / "hook" / "dead_letter.ndjson";
  auto dead_lines = [&] {
    if (!std::filesystem::exists(dead_letter)) return size_t{0};
    std::string text = read_file(dead_letter);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  };
  CHECK(wait_until([&] { return dead_lines() >= wanted.size(); }, seconds(30)));
  // Only the first request (or the few in flight at once) reached the endpoint.
  CHECK(by_status(hook, "410") >= 1);
  CHECK(by_status(hook, "410") <= 2);
  // Health says so, at once, and status names the output's state.
  const std::string monitoring =
      "http://127.0.0.1:" + std::to_string(monitoring_port(dir / "agent0.stderr"));
  auditrelay::fakes::CurlClient client;
  auditrelay::fakes::HttpResult health = client.get(monitoring + "/api/v1/health");
  CHECK(health.status == 503);
  CHECK(health.body.find("output hook: disabled for ") != std::string::npos);
  CHECK(health.body.find("410 Gone") != std::string::npos);
  CHECK(client.get(monitoring + "/api/v1/status").body.find(R"("state":"disabled")") !=
        std::string::npos);
  // Disabled until a reload, even once the endpoint is back.
  hook.clear_faults();
  write_file(
      dir / "in" / "more.jsonl",
      R"({"id":"after-1","policy_id":"p","decision":"block","created_at":"2026-01-16T18:22:11Z"})"
      "\n");
  CHECK(wait_until([&] { return dead_lines() >= wanted.size() + 1; }, seconds(30)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  CHECK(stat(hook, "delivered") == 0);
  CHECK(read_file(dead_letter).find("endpoint gone (410)") != std::string::npos);
  const std::string log = read_file(dir / "agent0.stderr");
  const std::string message =
      "the endpoint answered 410 Gone: it is disabled until the agent is "
      "reloaded; events are dead-lettered";
  CHECK(log.find(message) != std::string::npos);
  CHECK(log.find(message) == log.rfind(message));  // logged once

  // A restart (a reload) tries the endpoint again.
  auto again = start_agent(dir, 1);
  write_file(
      dir / "in" / "later.jsonl",
      R"({"id":"later-1","policy_id":"p","decision":"block","created_at":"2026-01-16T18:22:11Z"})"
      "\n");
  CHECK(distinct_reach(hook, 1, seconds(30)));
  const std::string monitoring_again =
      "http://127.0.0.1:" + std::to_string(monitoring_port(dir / "agent1.stderr"));
  health = client.get(monitoring_again + "/api/v1/health");
  CHECK(health.status == 200);
  CHECK(health.body == R"({"status":"ok"})");
  CHECK(stop_agent(*again, dir / "agent1.stderr") == 0);
  CHECK(delivered_ids(hook).count("evt_later-1") == 1);
}

TEST_CASE("webhook: a redirect is not followed; the event waits and is delivered to the url") {
  TempDir dir;
  FakeWebhook hook(dir.path(), {"--secret", kSecret});
  // The Location is on the fake itself: a request there would show as a 404.
  hook.set_faults(R"({"status":302,"count":1,"location":")" + hook.url() + R"(/elsewhere"})");
  write_config(dir, hook);
  write_file(
      dir / "in" / "one.jsonl",
      R"({"id":"moved-1","policy_id":"p","decision":"block","created_at":"2026-01-16T18:22:11Z"})"
      "\n");
  auto agent = start_agent(dir);
  REQUIRE(distinct_reach(hook, 1, seconds(30)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  CHECK(by_status(hook, "302") == 1);
  CHECK(by_status(hook, "404") == 0);  // nothing at the Location
  CHECK(stat(hook, "received") == 2);  // the 302, then the delivery to url
  CHECK(delivered_ids(hook).count("evt_moved-1") == 1);
  CHECK(read_file(dir / "agent0.stderr").find("redirect") != std::string::npos);
  CHECK(read_file(dir / "agent0.stderr").find("set url to " + hook.url() + "/elsewhere") !=
        std::string::npos);
}

TEST_CASE("webhook: kill -9 during a run: every blocked and warned event delivered at least once") {
  TempDir dir;
  FakeWebhook hook(dir.path(), {"--secret", kSecret});
  write_config(dir, hook, "      concurrency: 8\n");
  const std::set<std::string> wanted = write_mixed_records(dir / "in" / "mixed.jsonl", 8'000);
  std::mt19937 random(6);
  for (int run = 0; run < 3; ++run) {
    auto agent = start_agent(dir, run);
    const uint64_t before = stat(hook, "delivered");
    wait_until([&] { return stat(hook, "delivered") > before; }, seconds(20));
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 300)(random)));
    agent->signal(SIGKILL);
    agent->wait(seconds(10));
  }
  auto agent = start_agent(dir, 99);
  REQUIRE(distinct_reach(hook, wanted.size(), seconds(120)));
  CHECK(stop_agent(*agent, dir / "agent99.stderr") == 0);
  auto ids = delivered_ids(hook);
  CHECK(ids.size() == wanted.size());
  for (const std::string& id : wanted)
    CHECK_MESSAGE(ids.count(id) == 1, id);
  CHECK(stat(hook, "invalid_signatures") == 0);
}
