// The Elasticsearch nodes of an output: requests go round-robin over the healthy ones; a node
// that fails (no response, 502/503/504) is set aside for a while, doubling from 1 s to 60 s,
// and tried again after that. When every node is set aside, the one due soonest is tried.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace auditrelay::elasticsearch {

class HostPool {
 public:
  using Clock = std::chrono::steady_clock;

  explicit HostPool(std::vector<std::string> urls);

  // The index of the host to use next.
  size_t pick(Clock::time_point now);
  void failed(size_t host, Clock::time_point now);
  void succeeded(size_t host);

  const std::string& url(size_t host) const { return hosts_[host].url; }
  bool set_aside(size_t host, Clock::time_point now) const { return hosts_[host].until > now; }

 private:
  struct Host {
    std::string url;  // without a trailing slash
    unsigned failures = 0;
    Clock::time_point until{};  // set aside until then
  };
  std::vector<Host> hosts_;
  size_t next_ = 0;
};

}  // namespace auditrelay::elasticsearch
