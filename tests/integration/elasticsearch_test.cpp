// The elasticsearch output end to end: the real binary tails generated records into the fake
// Elasticsearch (tests/fakes) while the fake misbehaves; every record must be indexed exactly
// once.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <random>
#include <set>

#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;
using auditrelay::fakes::FakeElasticsearch;
using std::chrono::seconds;

namespace {

constexpr const char* kDataStream = "logs-policy_gateway.audit-test";

// The output block; `extra` adds lines (indented 6).
std::string es_output(const FakeElasticsearch& es, const std::string& retry) {
  return "    - name: es\n"
         "      type: elasticsearch\n"
         "      hosts: [\"" +
         es.url() +
         "\"]\n"
         "      batch: {max_records: 500, flush_interval: 50ms}\n"
         "      retry: " +
         retry + "\n";
}

std::filesystem::path write_config(const TempDir& dir, const FakeElasticsearch& es,
                                   const std::string& retry = "{initial: 20ms, max: 1s}") {
  TailToFile c;
  c.output_yaml = es_output(es, retry);
  return write_tail_to_file_config(dir, c);
}

// Every id indexed once: the fake's set holds each (index, _id) once, so a count equal to the
// number of records written means none lost and none indexed twice.
void check_exactly_once(FakeElasticsearch& es, size_t n) {
  std::vector<std::string> ids = es.ids();
  CHECK(ids.size() == n);
  std::set<std::string> unique(ids.begin(), ids.end());
  CHECK(unique.size() == n);
  for (const std::string& id : ids) {
    if (id.rfind(kDataStream, 0) != 0) {
      FAIL_CHECK("unexpected target: " << id);
      break;
    }
  }
}

bool indexed_reaches(FakeElasticsearch& es, uint64_t n, std::chrono::milliseconds timeout) {
  return wait_until([&] { return es.indexed() >= n; }, timeout);
}

// Writes records 0..n-1, runs the agent until the fake has indexed them all, stops it cleanly
// and checks that each is there once.
void deliver(const TempDir& dir, FakeElasticsearch& es, int n,
             std::chrono::milliseconds timeout = seconds(60)) {
  write_gateway_records(dir / "in" / "audit.jsonl", n);
  auto agent = start_agent(dir);
  REQUIRE(indexed_reaches(es, static_cast<uint64_t>(n), timeout));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  check_exactly_once(es, static_cast<size_t>(n));
}

}  // namespace

TEST_CASE("elasticsearch: every record indexed once into its data stream") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  write_config(dir, es);
  const int n = 20'000;
  deliver(dir, es, n);
  auto stats = es.stats();
  CHECK(stats["items_by_status"]["201"].GetUint64() == static_cast<uint64_t>(n));
}

TEST_CASE("elasticsearch: Retry-After: 2 is honoured, no attempt before it") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"requests_status":429,"requests_count":1,"retry_after":"2"})");
  write_config(dir, es);
  deliver(dir, es, 100);
  auto requests = es.requests();
  REQUIRE(requests.IsArray());
  REQUIRE(requests.Size() >= 2);
  CHECK(requests[0]["status"].GetInt() == 429);
  int64_t refused_at = requests[0]["unix_ms"].GetInt64();
  int64_t next_at = requests[1]["unix_ms"].GetInt64();
  // The fake stamps a request when it has read it; the refusal went out right after.
  CHECK(next_at - refused_at >= 2000);
}

TEST_CASE("elasticsearch: 30% of items answered 429 still index exactly N, resending only those") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"item_429_ratio":0.3,"seed":7})");
  write_config(dir, es);
  const int n = 20'000;
  deliver(dir, es, n, seconds(90));
  auto stats = es.stats();
  const auto& by_status = stats["items_by_status"];
  uint64_t rejected = by_status.HasMember("429") ? by_status["429"].GetUint64() : 0;
  CHECK(rejected > n / 5);
  // Only refused items went out again: every item sent was either created or refused once.
  CHECK(stats["items_received"].GetUint64() == n + rejected);
  CHECK_FALSE(by_status.HasMember("409"));
}

TEST_CASE("elasticsearch: a mapping error is dead-lettered and does not hold back the rest") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"item_400_ids":["rec-7"]})");
  write_config(dir, es);
  std::string content;
  for (int i = 0; i < 50; ++i) {
    content += R"({"id":"rec-)" + std::to_string(i) +
               R"(","policy_id":"p","decision":"allow","created_at":"2026-01-16T18:22:11Z"})"
               "\n";
  }
  write_file(dir / "in" / "audit.jsonl", content);
  auto agent = start_agent(dir);
  REQUIRE(indexed_reaches(es, 49, seconds(30)));
  const auto dead_letter = dir / "state" / "outputs" / "es" / "dead_letter.ndjson";
  REQUIRE(wait_until([&] { return !read_lines(dead_letter).empty(); }, seconds(10)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  auto lines = read_lines(dead_letter);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("id":"rec-7")") != std::string::npos);
  CHECK(lines[0].find("mapper_parsing_exception") != std::string::npos);
  CHECK(lines[0].find(R"("status":400)") != std::string::npos);
  CHECK(es.indexed() == 49);
}

TEST_CASE("elasticsearch: kill -9 at random moments of a 200,000-record run: exactly N indexed") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  write_config(dir, es);
  const int n = 200'000;
  write_gateway_records(dir / "in" / "audit.jsonl", n);
  // Six kills spread over the whole run: each when the fake has indexed a random count of the
  // next sixth, so every start gets killed with work under way (batches in flight, offsets and
  // cursors not yet saved), early and late alike.
  std::mt19937 random(20261129);
  const int kills = 6;
  for (int run = 0; run < kills; ++run) {
    const uint64_t slice = n / (kills + 1);
    const uint64_t target = slice * run + std::uniform_int_distribution<uint64_t>(1, slice)(random);
    auto agent = start_agent(dir, run);
    REQUIRE_MESSAGE(indexed_reaches(es, target, seconds(60)),
                    "start " << run << " got to " << es.indexed() << " of " << target);
    agent->signal(SIGKILL);
    agent->wait(seconds(10));
    MESSAGE("kill " << run + 1 << " at " << es.indexed() << " indexed");
  }
  const uint64_t before_last = es.indexed();
  auto agent = start_agent(dir, 99);
  REQUIRE(indexed_reaches(es, n, seconds(120)));
  CHECK(stop_agent(*agent, dir / "agent99.stderr") == 0);
  check_exactly_once(es, n);
  auto stats = es.stats();
  const auto& by_status = stats["items_by_status"];
  uint64_t resent = by_status.HasMember("409") ? by_status["409"].GetUint64() : 0;
  MESSAGE("kills: " << kills << ", indexed before the last start: " << before_last
                    << ", documents sent again and answered 409: " << resent);
}

namespace {

// Records [from, to) of gateway_record(), appended to `file`.
void append_records(const std::filesystem::path& file, int from, int to) {
  std::string lines;
  for (int i = from; i < to; ++i)
    lines += gateway_record(i) + "\n";
  append_file(file, lines);
}

// The configurations a reload switches between: one or two tail inputs, the elasticsearch output
// with a batch size, and maybe a file output beside it.
void write_reload_config(const TempDir& dir, const FakeElasticsearch& es, bool second_input,
                         bool file_output, int max_records) {
  std::string yaml =
      "service:\n"
      "  log_level: debug\n"
      "  shutdown_timeout: 60s\n"
      "  storage: {path: state}\n"
      "pipeline:\n"
      "  normalize: {namespace: test}\n"
      "  inputs:\n"
      "    - name: gateway\n"
      "      type: tail\n"
      "      paths: [\"in/*.jsonl\"]\n"
      "      schema: policy_gateway\n"
      "      read_from_head: true\n"
      "      refresh_interval: 50ms\n";
  if (second_input) {
    yaml +=
        "    - name: second\n"
        "      type: tail\n"
        "      paths: [\"in2/*.jsonl\"]\n"
        "      schema: auto\n"
        "      read_from_head: true\n"
        "      refresh_interval: 50ms\n";
  }
  yaml += "  outputs:\n    - name: es\n      type: elasticsearch\n      hosts: [\"" + es.url() +
          "\"]\n      batch: {max_records: " + std::to_string(max_records) +
          ", flush_interval: 50ms}\n      retry: {initial: 20ms, max: 1s}\n";
  if (file_output) yaml += "    - name: copy\n      type: file\n      path: copy.ndjson\n";
  write_file(dir / "agent.yaml", yaml);
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "elasticsearch: reloads change inputs and outputs during a 100,000-record run: exactly N") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  std::filesystem::create_directories(dir / "in");
  std::filesystem::create_directories(dir / "in2");
  append_records(dir / "in" / "audit.jsonl", 0, 50'000);
  write_reload_config(dir, es, false, false, 500);
  auto agent = start_agent(dir);
  const auto log = [&] { return read_file(dir / "agent0.stderr"); };
  REQUIRE(wait_until([&] { return es.indexed() >= 5'000; }, seconds(60)));

  // 1: a second input (with records of its own) and a second output, mid-run.
  append_records(dir / "in2" / "other.jsonl", 50'000, 80'000);
  write_reload_config(dir, es, true, true, 500);
  agent->signal(SIGHUP);
  REQUIRE(wait_until([&] { return occurrences(log(), "engine: reloaded") == 1; }, seconds(60)));
  append_records(dir / "in" / "audit.jsonl", 80'000, 100'000);

  // 2: an invalid file is refused; the pipeline runs on.
  write_file(dir / "agent.yaml", read_file(dir / "agent.yaml") + "  bogus: [\n");
  agent->signal(SIGHUP);
  REQUIRE(wait_until([&] { return occurrences(log(), "reload refused") == 1; }, seconds(60)));

  // 3: the file output goes, the elasticsearch output's batches shrink.
  write_reload_config(dir, es, true, false, 200);
  agent->signal(SIGHUP);
  REQUIRE(wait_until([&] { return occurrences(log(), "engine: reloaded") == 2; }, seconds(60)));

  const bool all_indexed = indexed_reaches(es, 100'000, seconds(120));
  if (!all_indexed) {
    std::string text = log();
    MESSAGE("indexed " << es.indexed() << " of 100000; the agent's log ends with:\n"
                       << text.substr(text.size() > 6000 ? text.size() - 6000 : 0));
  }
  REQUIRE(all_indexed);
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  check_exactly_once(es, 100'000);
  // The fake keeps one copy of an _id and answers a repeat 409: none may come, since a reload
  // carries every cursor over and nothing was killed.
  auto stats = es.stats();
  const auto& by_status = stats["items_by_status"];
  CHECK_MESSAGE(!by_status.HasMember("409"), "documents sent twice across the reloads");
}

TEST_CASE("elasticsearch: a receiver down for 60 s, then back: everything delivered") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  write_config(dir, es, "{initial: 100ms, max: 5s}");
  es.down(seconds(60));
  deliver(dir, es, 5'000, seconds(120));
  std::string log = read_file(dir / "agent0.stderr");
  CHECK(log.find("delivery failing") != std::string::npos);
  CHECK(log.find("delivering again") != std::string::npos);
}

TEST_CASE("elasticsearch: gzip bodies, and a dead host beside a live one loses nothing") {
  TempDir dir;
  FakeElasticsearch es(dir.path());
  TailToFile c;
  // Port 1 refuses connections: that host is set aside and the live one takes the traffic.
  c.output_yaml =
      "    - name: es\n"
      "      type: elasticsearch\n"
      "      hosts: [\"http://127.0.0.1:1\", \"" +
      es.url() +
      "\"]\n"
      "      compression: gzip\n"
      "      batch: {max_records: 200, flush_interval: 50ms}\n"
      "      retry: {initial: 20ms, max: 200ms}\n";
  write_tail_to_file_config(dir, c);
  deliver(dir, es, 3'000);
  auto requests = es.requests();
  REQUIRE(requests.Size() > 0);
  CHECK(requests[0]["gzip"].GetBool());
}

TEST_CASE("elasticsearch: refused credentials are reported once, the records wait, then flow") {
  TempDir dir;
  // base64("ingest:right-key")
  FakeElasticsearch es(dir.path(), {"--api-key", "aW5nZXN0OnJpZ2h0LWtleQ=="});
  TailToFile c;
  auto output = [&](const std::string& key) {
    return "    - name: es\n"
           "      type: elasticsearch\n"
           "      hosts: [\"" +
           es.url() +
           "\"]\n"
           "      api_key: \"" +
           key +
           "\"\n"
           "      retry: {initial: 10ms, max: 50ms}\n";
  };
  c.output_yaml = output("ingest:wrong-key");
  write_tail_to_file_config(dir, c);
  write_gateway_records(dir / "in" / "audit.jsonl", 100);
  auto agent = start_agent(dir);
  REQUIRE(wait_until([&] {
    auto stats = es.stats();
    const auto& by_status = stats["requests_by_status"];
    return by_status.HasMember("401") && by_status["401"].GetUint64() >= 5;
  }));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  std::string log = read_file(dir / "agent0.stderr");
  size_t first = log.find("refused the credentials");
  REQUIRE(first != std::string::npos);
  CHECK(log.find("refused the credentials", first + 1) == std::string::npos);  // once per streak
  CHECK(log.find("wrong-key") == std::string::npos);
  CHECK(es.indexed() == 0);

  c.output_yaml = output("ingest:right-key");
  write_tail_to_file_config(dir, c);
  auto again = start_agent(dir, 1);
  REQUIRE(indexed_reaches(es, 100, seconds(30)));
  CHECK(stop_agent(*again, dir / "agent1.stderr") == 0);
  check_exactly_once(es, 100);
}

TEST_CASE("elasticsearch: check masks credentials and refuses unusable settings with their place") {
  TempDir dir;
  auto config = [&](const std::string& output_lines) {
    TailToFile c;
    c.output_yaml =
        "    - name: es\n"
        "      type: elasticsearch\n" +
        output_lines;
    return write_tail_to_file_config(dir, c);
  };
  auto good = config(
      "      hosts: [\"https://es.example:9200\"]\n"
      "      api_key: \"ingest:s3cr3t-value\"\n");
  Result ok = run_agent({"check", "-c", good.string()}, dir.path());
  CHECK(ok.exit_code == 0);
  CHECK((ok.out + ok.err).find("s3cr3t-value") == std::string::npos);

  struct Bad {
    std::string lines;
    std::string message;
  };
  for (const Bad& bad : {
           Bad{"      hosts: [\"es.example:9200\"]\n", "is not an http:// or https:// URL"},
           Bad{"      hosts: [\"http://es:9200\"]\n      api_key: a:b\n      bearer: t\n",
               "set one of api_key, user/password or bearer"},
           Bad{"      hosts: [\"http://es:9200\"]\n      user: u\n", "go together"},
           Bad{"      hosts: [\"http://es:9200\"]\n      index: Audit\n", "not a valid index name"},
           Bad{"      hosts: [\"http://es:9200\"]\n      concurrency: 0\n", "between 1 and 64"},
           Bad{"      hosts: [\"http://es:9200\"]\n      retry: {statuses: [42x]}\n",
               "is not an HTTP status"},
           Bad{"      hosts: [\"http://es:9200\"]\n      compression: brotli\n",
               "one of [none, gzip]"},
       }) {
    CAPTURE(bad.lines);
    Result r = run_agent({"check", "-c", config(bad.lines).string()}, dir.path());
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(bad.message) != std::string::npos);
    CHECK(r.err.find("agent.yaml:") != std::string::npos);
    CHECK(r.err.find("pipeline.outputs[0].") != std::string::npos);
  }
}
