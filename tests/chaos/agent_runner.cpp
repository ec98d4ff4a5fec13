#include "tests/chaos/agent_runner.h"

#include <signal.h>

#include <stdexcept>
#include <utility>

#include "tests/support/temp_dir.h"

namespace auditrelay::chaos {
namespace {

constexpr const char* kHttpListening = "in_http[api]: listening address=";
constexpr const char* kMonitoringListening = "monitoring: listening address=";

// The port of the LAST "<marker>HOST:PORT" in `log` (a reload logs a new one), or 0.
int last_port(const std::string& log, const std::string& marker) {
  size_t at = log.rfind(marker);
  if (at == std::string::npos) return 0;
  size_t start = at + marker.size();
  std::string address = log.substr(start, log.find_first_of(" \n", start) - start);
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return 0;
  return std::atoi(address.c_str() + colon + 1);
}

std::string url_of(int port) {
  return port == 0 ? "" : "http://127.0.0.1:" + std::to_string(port);
}

}  // namespace

std::string tail_of_file(const std::filesystem::path& path, size_t max_bytes) {
  std::string text = test::read_file(path);
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

AgentRunner::AgentRunner(std::filesystem::path dir, std::filesystem::path config)
    : dir_(std::move(dir)), config_(std::move(config)) {}

AgentRunner::~AgentRunner() = default;  // Process kills a child still running

std::filesystem::path AgentRunner::current_log() const {
  return dir_ / ("agent" + std::to_string(starts_) + ".stderr");
}

void AgentRunner::start() {
  spawn();
  wait_started();
}

void AgentRunner::spawn() {
  std::lock_guard lock(mu_);
  ++starts_;
  process_ = std::make_unique<test::Process>(
      std::vector<std::string>{test::agent_binary(), "run", "-c", config_.string()},
      dir_ / ("agent" + std::to_string(starts_) + ".stdout"), current_log());
  http_port_ = monitoring_port_ = 0;
}

void AgentRunner::wait_started() {
  std::unique_lock lock(mu_);
  const auto log = current_log();
  test::Process& process = *process_;
  lock.unlock();
  // Up means: started, with both listeners bound (their lines come before "started").
  bool up = test::wait_until(
      [&] {
        return test::read_file(log).find("engine: started") != std::string::npos ||
               !process.running();
      },
      std::chrono::seconds(30));
  lock.lock();
  if (!up || !process_->running()) {
    note_unexpected_exit_locked();
    throw std::runtime_error("the agent did not start (start " + std::to_string(starts_) +
                             "): " + tail_of_file(log));
  }
  http_port_ = port_from_log_locked(kHttpListening);
  monitoring_port_ = port_from_log_locked(kMonitoringListening);
}

int AgentRunner::port_from_log_locked(const std::string& marker) const {
  return last_port(test::read_file(current_log()), marker);
}

void AgentRunner::kill9() {
  std::lock_guard lock(mu_);
  if (!process_) return;
  note_unexpected_exit_locked();
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(30));
  process_.reset();
  http_port_ = monitoring_port_ = 0;
}

void AgentRunner::reload() {
  std::lock_guard lock(mu_);
  if (process_) process_->signal(SIGHUP);
}

std::optional<int> AgentRunner::stop(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mu_);
  if (!process_) return 0;
  note_unexpected_exit_locked();
  process_->signal(SIGTERM);
  std::optional<int> code = process_->wait(timeout);
  process_.reset();  // kills it if it is still there
  http_port_ = monitoring_port_ = 0;
  return code;
}

std::optional<int> AgentRunner::run_once(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  ++starts_;
  test::Process once({test::agent_binary(), "run", "-c", config_.string(), "--once"},
                     dir_ / ("agent" + std::to_string(starts_) + ".stdout"), current_log());
  lock.unlock();  // not held while it runs
  std::optional<int> code = once.wait(timeout);
  if (!code) {
    once.signal(SIGKILL);
    once.wait(std::chrono::seconds(10));
  }
  return code;
}

bool AgentRunner::running() {
  std::lock_guard lock(mu_);
  note_unexpected_exit_locked();
  return process_ != nullptr;
}

void AgentRunner::note_unexpected_exit_locked() {
  if (!process_ || process_->running()) return;
  std::optional<int> code = process_->wait(std::chrono::milliseconds(0));
  if (!crash_) {
    crash_ = "the agent exited by itself with code " + std::to_string(code.value_or(-1)) +
             " (start " + std::to_string(starts_) + "): " + tail_of_file(current_log());
  }
  process_.reset();
  http_port_ = monitoring_port_ = 0;
}

std::optional<std::string> AgentRunner::take_crash() {
  std::lock_guard lock(mu_);
  note_unexpected_exit_locked();
  return std::exchange(crash_, std::nullopt);
}

std::string AgentRunner::http_url(bool refresh) {
  std::lock_guard lock(mu_);
  if (!process_) return "";
  if (refresh) http_port_ = port_from_log_locked(kHttpListening);
  return http_port_ == 0 ? "" : url_of(http_port_) + "/v1/audit";
}

std::string AgentRunner::monitoring_url() {
  std::lock_guard lock(mu_);
  return process_ ? url_of(monitoring_port_) : "";
}

size_t AgentRunner::count_in_logs(const std::string& text) const {
  std::lock_guard lock(mu_);
  size_t count = 0;
  for (int i = 1; i <= starts_; ++i) {
    std::string log = test::read_file(dir_ / ("agent" + std::to_string(i) + ".stderr"));
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1))
      ++count;
  }
  return count;
}

}  // namespace auditrelay::chaos
