// The splunk_hec output end to end: the real binary tails generated records into the fake HEC
// (tests/fakes) while the fake misbehaves; every record must be indexed at least once.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "tests/fakes/fake_splunk_hec_handle.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;
using auditrelay::fakes::FakeSplunkHec;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* kToken = "5c9a1b1e-0000-4000-8000-00000000hec1";

void write_config(const TempDir& dir, const FakeSplunkHec& hec, const std::string& extra = "") {
  TailToFile c;
  c.output_yaml =
      "    - name: splunk\n"
      "      type: splunk_hec\n"
      "      url: \"" +
      hec.url() +
      "\"\n"
      "      token: \"" +
      std::string(kToken) +
      "\"\n"
      "      batch: {max_records: 500, flush_interval: 50ms}\n"
      "      retry: {initial: 20ms, max: 1s}\n" +
      extra;
  write_tail_to_file_config(dir, c);
}

std::map<std::string, int> indexed_ids(FakeSplunkHec& hec) {
  return id_counts(hec.ids());
}

bool distinct_reach(FakeSplunkHec& hec, size_t n, std::chrono::milliseconds timeout) {
  return wait_until([&] { return indexed_ids(hec).size() >= n; }, timeout);
}

// Records rec-0 .. rec-(n-1) with their own ids (event.id = rec-N).
void write_records_with_ids(const std::filesystem::path& path, int n) {
  std::string content;
  for (int i = 0; i < n; ++i) {
    content += R"({"id":"rec-)" + std::to_string(i) +
               R"(","policy_id":"p","decision":"allow","created_at":"2026-01-16T18:22:11Z"})"
               "\n";
  }
  write_file(path, content);
}

// The records `auditrelay buffer status` says the output has yet to pass.
std::string backlog(const TempDir& dir) {
  auto status = run_agent({"buffer", "status", "-c", (dir / "agent.yaml").string()}, dir.path());
  auto at = status.out.find("backlog: ");
  if (at == std::string::npos) return "";
  return status.out.substr(at + 9, status.out.find(' ', at + 9) - at - 9);
}

constexpr const char* kFastAck =
    "      ack: true\n"
    "      ack_interval: 100ms\n";

}  // namespace

TEST_CASE("splunk_hec: every record indexed, with the HEC envelope") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kToken});
  write_config(dir, hec);
  const int n = 5'000;
  write_gateway_records(dir / "in" / "audit.jsonl", n);
  auto agent = start_agent(dir);
  REQUIRE(distinct_reach(hec, n, seconds(60)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  auto ids = indexed_ids(hec);
  CHECK(ids.size() == static_cast<size_t>(n));
  for (const auto& entry : ids)  // (clang 14 cannot capture a structured binding)
    CHECK_MESSAGE(entry.second == 1, entry.first);
}

TEST_CASE("splunk_hec: busy answers with Retry-After are retried; nothing lost") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kToken});
  hec.set_faults(R"({"requests_status":503,"requests_code":9,"requests_count":2,
                     "retry_after":"1"})");
  write_config(dir, hec);
  write_gateway_records(dir / "in" / "audit.jsonl", 200);
  auto agent = start_agent(dir);
  REQUIRE(distinct_reach(hec, 200, seconds(30)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
}

TEST_CASE("splunk_hec: kill -9 during a 100,000-record run: every record indexed at least once") {
  TempDir dir;
  // With acknowledgement, acks coming 50 ms late and out of order: a kill finds batches that
  // HEC stored but the cursor has not passed.
  FakeSplunkHec hec(dir.path(), {"--token", kToken, "--ack"});
  hec.set_faults(R"({"ack_delay_ms":50,"ack_out_of_order":true})");
  write_config(dir, hec, kFastAck);
  const int n = 100'000;
  write_gateway_records(dir / "in" / "audit.jsonl", n);
  std::mt19937 random(5);
  for (int run = 0; run < 4; ++run) {
    auto agent = start_agent(dir, run);
    wait_until([&] { return hec.stats()["indexed"].GetUint64() > 0; }, seconds(20));
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 300)(random)));
    agent->signal(SIGKILL);
    agent->wait(seconds(10));
  }
  auto agent = start_agent(dir, 99);
  REQUIRE(distinct_reach(hec, n, seconds(120)));
  CHECK(stop_agent(*agent, dir / "agent99.stderr") == 0);
  CHECK(indexed_ids(hec).size() == static_cast<size_t>(n));
}

TEST_CASE("splunk_hec ack: the cursor passes events only once Splunk acknowledges them") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kToken, "--ack"});
  hec.set_faults(R"({"ack_delay_ms":2000})");
  write_config(dir, hec, kFastAck);
  write_gateway_records(dir / "in" / "audit.jsonl", 1000);
  auto agent = start_agent(dir);
  REQUIRE(distinct_reach(hec, 1000, seconds(30)));
  // Indexed, not yet acknowledged: the buffer still holds every record for this output.
  CHECK(backlog(dir) == "1000");
  CHECK(wait_until([&] { return backlog(dir) == "0"; }, seconds(20)));
  CHECK(hec.stats()["acks_polled"].GetUint64() > 0);
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  // The channel is kept under the storage path, and used again after a restart.
  std::string channel = read_file(dir / "state" / "outputs" / "splunk" / "hec_channel");
  CHECK(channel.size() == 37);
  for (const auto& entry : indexed_ids(hec))  // (clang 14 cannot capture a structured binding)
    CHECK_MESSAGE(entry.second == 1, entry.first);
}

TEST_CASE("splunk_hec ack: acks that never come are resent after ack_timeout; none lost") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kToken, "--ack"});
  hec.set_faults(R"({"ack_never_ratio":0.3,"ack_out_of_order":true,"seed":7})");
  write_config(dir, hec, std::string(kFastAck) + "      ack_timeout: 1s\n");
  const int n = 5'000;
  write_gateway_records(dir / "in" / "audit.jsonl", n);
  auto agent = start_agent(dir);
  REQUIRE(distinct_reach(hec, n, seconds(60)));
  CHECK(wait_until([&] { return backlog(dir) == "0"; }, seconds(60)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  auto ids = indexed_ids(hec);
  CHECK(ids.size() == static_cast<size_t>(n));
  size_t resent = 0;
  for (const auto& [id, count] : ids)
    resent += count > 1 ? 1 : 0;
  CHECK(resent > 0);  // the never-acknowledged ones, indexed again (at least once)
  CHECK(hec.stats()["never_acked_events"].GetUint64() > 0);
  std::string log = read_file(dir / "agent0.stderr");
  CHECK(log.find("not acknowledged within ack_timeout") != std::string::npos);
  CHECK(log.find(kToken) == std::string::npos);
}

TEST_CASE("splunk_hec: token refused → an actionable error, data kept, delivered once fixed") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kToken});
  hec.set_faults(R"({"requests_status":403,"requests_code":4,"requests_count":3})");
  write_config(dir, hec);
  write_gateway_records(dir / "in" / "audit.jsonl", 300);
  auto agent = start_agent(dir);
  REQUIRE(distinct_reach(hec, 300, seconds(30)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  std::string log = read_file(dir / "agent0.stderr");
  CHECK(log.find("Splunk refused the HEC token") != std::string::npos);
  CHECK(log.find("delivering again") != std::string::npos);
  CHECK(log.find(kToken) == std::string::npos);
  CHECK(indexed_ids(hec).size() == 300u);
}

TEST_CASE("splunk_hec: an invalid event is dead-lettered, the rest of its batch resent once") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kToken});
  hec.set_faults(R"({"invalid_event_ids":["rec-7"]})");
  write_config(dir, hec);
  write_records_with_ids(dir / "in" / "audit.jsonl", 50);
  auto agent = start_agent(dir);
  REQUIRE(distinct_reach(hec, 49, seconds(30)));
  const auto dead_letter = dir / "state" / "outputs" / "splunk" / "dead_letter.ndjson";
  REQUIRE(wait_until([&] { return !read_lines(dead_letter).empty(); }, seconds(10)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  auto lines = read_lines(dead_letter);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("id":"rec-7")") != std::string::npos);
  CHECK(lines[0].find("hec_code_12") != std::string::npos);
  auto ids = indexed_ids(hec);
  CHECK(ids.size() == 49u);
  CHECK(ids.count("rec-7") == 0);
  for (const auto& entry : ids)  // (clang 14 cannot capture a structured binding)
    CHECK_MESSAGE(entry.second == 1, entry.first);
}

TEST_CASE("splunk_hec: an index Splunk does not have → every event dead-lettered with the reason") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kToken, "--indexes", "main"});
  write_config(dir, hec, "      index: nope\n");
  write_records_with_ids(dir / "in" / "audit.jsonl", 20);
  auto agent = start_agent(dir);
  const auto dead_letter = dir / "state" / "outputs" / "splunk" / "dead_letter.ndjson";
  REQUIRE(wait_until([&] { return read_lines(dead_letter).size() == 20; }, seconds(20)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  CHECK(read_lines(dead_letter)[0].find("incorrect index") != std::string::npos);
  CHECK(indexed_ids(hec).empty());
}
