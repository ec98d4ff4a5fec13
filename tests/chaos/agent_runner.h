// The real auditrelay binary under chaos: started on a scenario's config, killed with SIGKILL,
// restarted, reloaded with SIGHUP, stopped. Each start logs to its own DIR/agent<N>.stderr; the
// ports it chose (port 0) are read from that log. Safe to use from several threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "tests/support/process.h"

namespace auditrelay::chaos {

class AgentRunner {
 public:
  AgentRunner(std::filesystem::path dir, std::filesystem::path config);
  ~AgentRunner();

  // Starts the agent and waits (with a deadline) until it runs and listens. Throws
  // std::runtime_error with the end of its log if it exits or does not come up.
  void start();
  // Starts it without waiting: a kill right after hits its start-up (buffer recovery, loading
  // offsets and cursors, the first reads).
  void spawn();
  // SIGKILL, at whatever it is doing, and reaps it.
  void kill9();
  // SIGHUP; the HTTP input listens on a new port once the reload is done.
  void reload();
  // SIGTERM; returns the exit code (nullopt if it did not exit within `timeout`; then killed).
  std::optional<int> stop(std::chrono::milliseconds timeout);
  // `run --once`: reads what is left, delivers everything, exits. Returns the exit code
  // (nullopt on timeout; then killed).
  std::optional<int> run_once(std::chrono::milliseconds timeout);

  // Whether the agent we started is still running. An agent that exited without being told to
  // is a crash: take_crash() describes it (once).
  bool running();
  std::optional<std::string> take_crash();

  // The HTTP input's URL, "" while the agent is down. `refresh` reads the log again (after a
  // reload, or when a connection was refused).
  std::string http_url(bool refresh = false);
  // The monitoring server's base URL (http://HOST:PORT), "" while the agent is down.
  std::string monitoring_url();

  int starts() const { return starts_; }
  // How often a log of this run holds `text` (all starts together).
  size_t count_in_logs(const std::string& text) const;
  std::filesystem::path current_log() const;

 private:
  void wait_started();
  void note_unexpected_exit_locked();
  int port_from_log_locked(const std::string& marker) const;

  mutable std::mutex mu_;
  std::filesystem::path dir_;
  std::filesystem::path config_;
  std::unique_ptr<test::Process> process_;
  int starts_ = 0;
  int http_port_ = 0;
  int monitoring_port_ = 0;
  std::optional<std::string> crash_;
};

// The last `max_bytes` of a file, for failure messages.
std::string tail_of_file(const std::filesystem::path& path, size_t max_bytes = 2000);

}  // namespace auditrelay::chaos
