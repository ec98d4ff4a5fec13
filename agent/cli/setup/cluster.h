// One elasticsearch output's cluster as `auditrelay setup` talks to it: the output's hosts,
// credentials and TLS settings, and messages that never show a secret.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/delivery/http_client.h"
#include "agent/delivery/http_probe.h"

namespace auditrelay::cli::setup {

// One elasticsearch output's cluster, reached through the agent's own HTTP client on a
// private loop that runs until each answer is in. Requests go to the first host that answers.
class Cluster {
 public:
  // Throws SetupError.
  Cluster(const InstanceConfig& output, const std::filesystem::path& state_dir);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::string& host() const { return host_; }

  // Answers with any status; throws SetupError when no host answers.
  delivery::HttpResponse request(const std::string& method, const std::string& path,
                                 const std::string& body = "");

  // Replaces every secret of the output in `text` (a server's message could echo one).
  std::string redact(std::string text) const;

 private:
  delivery::HttpResponse send(std::string url, const std::string& method, const std::string& path,
                              const std::string& body);

  std::vector<std::string> hosts_;
  std::vector<std::string> headers_;
  std::vector<std::string> secrets_;
  std::string base_url_;  // the host that answered first, as configured; empty until then
  std::string host_;      // the same for messages
  std::unique_ptr<delivery::BlockingHttpClient> client_;
};

// The message for an answer other than the expected ones: throws SetupError.
[[noreturn]] void fail(const Cluster& cluster, const std::string& method, const std::string& path,
                       const delivery::HttpResponse& r);

}  // namespace auditrelay::cli::setup
