// One chaos scenario's world: its temp dir, the fakes, the agent, the tail writer and the HTTP
// senders; the scenario functions (scenarios.cpp) inject their faults while it runs, then
// drain() stops the traffic, lets the agent deliver everything and compares.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/chaos/agent_config.h"
#include "tests/chaos/agent_runner.h"
#include "tests/chaos/http_sender.h"
#include "tests/chaos/records.h"
#include "tests/chaos/tail_writer.h"
#include "tests/chaos/verify.h"
#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/fakes/fake_splunk_hec_handle.h"
#include "tests/fakes/fake_webhook_handle.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::chaos {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct RunOptions {
  bool long_mode = false;
  uint32_t seed = 1;
  // Traffic while faults are injected.
  double tail_rate = 1200;  // records/s into the tailed files
  double http_rate = 400;   // records/s over the HTTP input (two clients)
};

// What a scenario injected: a count for the table and the details beside it.
struct FaultLog {
  uint64_t count = 0;
  std::string text;
  FaultLog& add(uint64_t n, const std::string& what);  // counted
  FaultLog& note(const std::string& what);             // described only (e.g. "down 4 s")
};

struct ScenarioResult {
  std::string name;
  Verdict verdict;
  FaultLog faults;                     // what was injected
  uint64_t indexed_during_faults = 0;  // documents indexed before the drain began
  double drain_seconds = 0;            // from the end of the faults to everything delivered
  double total_seconds = 0;
  std::vector<std::string> failures;  // a crash, a hang, a client given up, ...
  std::vector<std::string> notes;     // skipped parts and why
  bool failed() const;
};

struct Receivers {
  bool hec = false;
  bool webhook = false;
};

class ScenarioRun {
 public:
  ScenarioRun(std::string name, const RunOptions& options, Receivers receivers,
              AgentConfig config = {});
  ~ScenarioRun();

  // Starts the agent and the traffic (tail writer and two HTTP clients).
  void start(TailWriterOptions writer);

  // Runs `step` until `duration` has passed, checking between steps that the agent has not
  // crashed (a crash is restarted and recorded as a failure).
  void run_for(Clock::duration duration, const std::function<void()>& step);

  // Rewrites the config (reload scenario); the storage path stays.
  void rewrite_config(const AgentConfig& config);

  // Stops the traffic, clears the fakes' faults, stops the agent, runs it with --once to
  // deliver everything, and compares what arrived with the ledger.
  ScenarioResult drain(FaultLog faults);

  AgentRunner& agent() { return *agent_; }
  fakes::FakeElasticsearch& es() { return *es_; }
  const AgentConfig& config() const { return config_; }
  const test::TempDir& dir() const { return dir_; }
  const RunOptions& options() const { return options_; }
  TailWriter& writer() { return *writer_; }
  uint64_t http_refusals() const;
  double longest_http_answer_s() const;  // of every POST so far
  void fail(std::string why) { result_.failures.push_back(std::move(why)); }
  void note(std::string what) { result_.notes.push_back(std::move(what)); }
  // A duration scaled for the mode: `short_value` in --short, `long_value` in --long.
  Clock::duration pick(Clock::duration short_value, Clock::duration long_value) const {
    return options_.long_mode ? long_value : short_value;
  }

 private:
  void check_agent();
  void finish_traffic();

  test::TempDir dir_;
  RunOptions options_;
  AgentConfig config_;
  std::unique_ptr<fakes::FakeElasticsearch> es_;
  std::unique_ptr<fakes::FakeSplunkHec> hec_;
  std::unique_ptr<fakes::FakeWebhook> webhook_;
  std::unique_ptr<AgentRunner> agent_;
  Ledger ledger_;
  std::unique_ptr<TailWriter> writer_;
  std::vector<std::unique_ptr<HttpSender>> senders_;
  ScenarioResult result_;
  Clock::time_point started_;
};

}  // namespace auditrelay::chaos
