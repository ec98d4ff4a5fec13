#include "plugins/out_elasticsearch/host_pool.h"

#include <algorithm>

namespace auditrelay::elasticsearch {

HostPool::HostPool(std::vector<std::string> urls) {
  for (std::string& url : urls) {
    while (!url.empty() && url.back() == '/')
      url.pop_back();
    hosts_.push_back(Host{std::move(url)});
  }
}

size_t HostPool::pick(Clock::time_point now) {
  for (size_t tried = 0; tried < hosts_.size(); ++tried) {
    size_t i = next_++ % hosts_.size();
    if (hosts_[i].until <= now) return i;
  }
  auto soonest = std::min_element(hosts_.begin(), hosts_.end(),
                                  [](const Host& a, const Host& b) { return a.until < b.until; });
  return static_cast<size_t>(soonest - hosts_.begin());
}

void HostPool::failed(size_t host, Clock::time_point now) {
  Host& h = hosts_[host];
  h.failures = std::min(h.failures + 1, 7u);
  h.until = now + std::chrono::seconds(std::min(1u << (h.failures - 1), 60u));
}

void HostPool::succeeded(size_t host) {
  hosts_[host].failures = 0;
  hosts_[host].until = Clock::time_point{};
}

}  // namespace auditrelay::elasticsearch
