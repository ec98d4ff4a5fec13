#include "tests/chaos/scenario_run.h"

#include <thread>

namespace auditrelay::chaos {

FaultLog& FaultLog::add(uint64_t n, const std::string& what) {
  count += n;
  return note(std::to_string(n) + " " + what);
}

FaultLog& FaultLog::note(const std::string& what) {
  text += (text.empty() ? "" : ", ") + what;
  return *this;
}

bool ScenarioResult::failed() const {
  return !failures.empty() || verdict.lost > 0 || verdict.duplicated > 0 ||
         verdict.unexpected > 0 || verdict.hec.lost > 0 || verdict.webhook.lost > 0;
}

ScenarioRun::ScenarioRun(std::string name, const RunOptions& options, Receivers receivers,
                         AgentConfig config)
    : options_(options), config_(std::move(config)), started_(Clock::now()) {
  result_.name = std::move(name);
  es_ = std::make_unique<fakes::FakeElasticsearch>(dir_.path(),
                                                   std::vector<std::string>{"--store-documents"});
  config_.es_url = es_->url();
  if (receivers.hec) {
    hec_ = std::make_unique<fakes::FakeSplunkHec>(dir_.path(), std::vector<std::string>{"--ack"});
    config_.hec_url = hec_->url();
  }
  if (receivers.webhook) {
    webhook_ = std::make_unique<fakes::FakeWebhook>(dir_.path());
    config_.webhook_url = webhook_->url();
  }
  if (config_.storage.empty()) config_.storage = dir_ / "state";
  agent_ = std::make_unique<AgentRunner>(dir_.path(), write_agent_config(dir_.path(), config_));
}

ScenarioRun::~ScenarioRun() {
  senders_.clear();
  writer_.reset();
  agent_.reset();  // before the fakes it talks to
}

void ScenarioRun::rewrite_config(const AgentConfig& config) {
  AgentConfig next = config;
  next.storage = config_.storage;
  next.es_url = config_.es_url;
  next.hec_url = config_.hec_url;
  next.webhook_url = config_.webhook_url;
  write_agent_config(dir_.path(), next);
}

void ScenarioRun::start(TailWriterOptions writer) {
  agent_->start();
  writer.records_per_second = options_.tail_rate;
  writer_ = std::make_unique<TailWriter>(dir_ / "in", dir_ / "copies", *agent_, ledger_,
                                         options_.seed * 7 + 1, writer);
  writer_->start();
  for (int i = 0; i < 2; ++i) {
    senders_.push_back(std::make_unique<HttpSender>(*agent_, ledger_, "h" + std::to_string(i),
                                                    options_.seed * 7 + 2 + i,
                                                    options_.http_rate / 2, 50));
    senders_.back()->start();
  }
}

void ScenarioRun::check_agent() {
  // Not running and nobody asked it to stop: a crash. Recorded, and restarted so the scenario
  // goes on.
  if (auto crash = agent_->take_crash()) fail(*crash);
  if (!agent_->running()) agent_->start();
}

void ScenarioRun::run_for(Clock::duration duration, const std::function<void()>& step) {
  const auto end = Clock::now() + duration;
  while (Clock::now() < end) {
    step();
    check_agent();
  }
}

uint64_t ScenarioRun::http_refusals() const {
  uint64_t n = 0;
  for (const auto& s : senders_)
    n += s->stats().refused_503;
  return n;
}

double ScenarioRun::longest_http_answer_s() const {
  double longest = 0;
  for (const auto& s : senders_)
    longest = std::max(longest, s->stats().longest_answer_s);
  return longest;
}

void ScenarioRun::finish_traffic() {
  writer_->finish();
  if (std::string error = writer_->stats().error; !error.empty()) {
    fail("the tail writer stopped: " + error);
  }
  // The clients finish the body under way, which needs a running agent.
  if (!agent_->running()) agent_->start();
  const auto deadline = Clock::now() + (options_.long_mode ? seconds(600) : seconds(60));
  for (auto& s : senders_) {
    s->finish(deadline);
    HttpSenderStats stats = s->stats();
    if (stats.given_up > 0) {
      fail("an HTTP client gave up on a body: " +
           (stats.unexpected.empty() ? std::string("never accepted") : stats.unexpected));
    }
  }
}

ScenarioResult ScenarioRun::drain(FaultLog faults) {
  result_.faults = std::move(faults);
  const auto drain_start = Clock::now();
  result_.indexed_during_faults = es_->indexed();
  es_->clear_faults();
  if (hec_) hec_->clear_faults();
  if (webhook_) webhook_->clear_faults();
  finish_traffic();
  if (auto crash = agent_->take_crash()) fail(*crash);
  std::optional<int> stopped = agent_->stop(seconds(120));
  if (stopped != 0) {
    fail("SIGTERM: the agent exited with " +
         (stopped ? std::to_string(*stopped) : std::string("nothing (timeout)")) + ": " +
         tail_of_file(agent_->current_log()));
  }
  std::optional<int> once = agent_->run_once(options_.long_mode ? seconds(900) : seconds(90));
  result_.drain_seconds = std::chrono::duration<double>(Clock::now() - drain_start).count();
  if (once != 0) {
    fail("run --once exited with " +
         (once ? std::to_string(*once) : std::string("nothing (timeout)")) + ": " +
         tail_of_file(agent_->current_log()));
  }
  result_.verdict = verify(ledger_, *es_, hec_.get(), webhook_.get());
  result_.total_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  return result_;
}

}  // namespace auditrelay::chaos
