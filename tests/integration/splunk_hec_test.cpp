// The splunk_hec output end to end: the real binary tails generated records into the fake HEC
// (tests/fakes) while the fake misbehaves; every record must be indexed at least once.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "tests/fakes/fake_splunk_hec_handle.h"
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

std::unique_ptr<Process> start_agent(const TempDir& dir, int n = 0) {
  std::string tag = std::to_string(n);
  return std::make_unique<Process>(
      std::vector<std::string>{agent_binary(), "run", "-c", (dir / "agent.yaml").string()},
      dir / ("agent" + tag + ".stdout"), dir / ("agent" + tag + ".stderr"));
}

int stop_agent(Process& agent, const std::filesystem::path& stderr_file) {
  wait_until([&] { return read_file(stderr_file).find("engine: started") != std::string::npos; },
             seconds(10));
  agent.signal(SIGTERM);
  return agent.wait(seconds(30)).value_or(-1);
}

// id → times indexed, from the fake's "<id>\t<count>" lines.
std::map<std::string, int> indexed_ids(FakeSplunkHec& hec) {
  std::map<std::string, int> ids;
  for (const std::string& line : hec.ids()) {
    auto tab = line.find('\t');
    ids[line.substr(0, tab)] = tab == std::string::npos ? 1 : std::stoi(line.substr(tab + 1));
  }
  return ids;
}

bool distinct_reach(FakeSplunkHec& hec, size_t n, std::chrono::milliseconds timeout) {
  return wait_until([&] { return indexed_ids(hec).size() >= n; }, timeout);
}

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
  for (const auto& [id, count] : ids)
    CHECK_MESSAGE(count == 1, id);
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
  FakeSplunkHec hec(dir.path(), {"--token", kToken});
  write_config(dir, hec);
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
