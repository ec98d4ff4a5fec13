// The real auditrelay binary run by an integration test: started on DIR/agent.yaml with its
// output in DIR/agent<N>.stdout and .stderr, stopped with SIGTERM once it is up.
#pragma once

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::test {

inline std::unique_ptr<Process> start_agent(const TempDir& dir, int n = 0) {
  std::string tag = std::to_string(n);
  return std::make_unique<Process>(
      std::vector<std::string>{agent_binary(), "run", "-c", (dir / "agent.yaml").string()},
      dir / ("agent" + tag + ".stdout"), dir / ("agent" + tag + ".stderr"));
}

// SIGTERM once the agent is up (before its handlers are installed a signal would just kill it);
// returns its exit code, -1 if it did not exit within 30 s.
inline int stop_agent(Process& agent, const std::filesystem::path& stderr_file) {
  wait_until([&] { return read_file(stderr_file).find("engine: started") != std::string::npos; },
             std::chrono::seconds(10));
  agent.signal(SIGTERM);
  return agent.wait(std::chrono::seconds(30)).value_or(-1);
}

// The port a log line "<marker>HOST:PORT" names, once the agent wrote it; 0 if it did not
// within 10 s.
inline int logged_port(const std::filesystem::path& stderr_file, const std::string& marker) {
  std::string log;
  if (!wait_until([&] { return (log = read_file(stderr_file)).find(marker) != std::string::npos; },
                  std::chrono::seconds(10))) {
    return 0;
  }
  const size_t start = log.find(marker) + marker.size();
  const std::string address = log.substr(start, log.find_first_of(" \n", start) - start);
  return std::stoi(address.substr(address.rfind(':') + 1));
}

// The port of the agent's monitoring server (service.http_server).
inline int monitoring_port(const std::filesystem::path& stderr_file) {
  return logged_port(stderr_file, "monitoring: listening address=");
}

// The port of the HTTP input named `name`.
inline int http_input_port(const std::filesystem::path& stderr_file, const std::string& name) {
  return logged_port(stderr_file, "in_http[" + name + "]: listening address=");
}

// id → times received, from a fake's "<id>\t<count>" lines.
inline std::map<std::string, int> id_counts(const std::vector<std::string>& lines) {
  std::map<std::string, int> ids;
  for (const std::string& line : lines) {
    auto tab = line.find('\t');
    ids[line.substr(0, tab)] = tab == std::string::npos ? 1 : std::stoi(line.substr(tab + 1));
  }
  return ids;
}

}  // namespace auditrelay::test
