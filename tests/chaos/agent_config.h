// The agent's pipeline file for a chaos scenario: a tail input on DIR/in/*.jsonl* and an HTTP
// input (both schema auto, so both gateway schemas are normalized), the elasticsearch output,
// and, where a scenario wants them, splunk_hec (with indexer acknowledgement) and webhook.
#pragma once

#include <filesystem>
#include <string>

namespace auditrelay::chaos {

struct AgentConfig {
  std::filesystem::path storage;       // service.storage.path
  std::string max_bytes = "1GiB";      // service.storage.max_bytes (when_full: block)
  std::string segment_bytes = "1MiB";  // small, so delivered segments are freed early
  std::string es_url;
  std::string hec_url;      // "" : no splunk_hec output
  std::string webhook_url;  // "" : no webhook output
  int es_batch = 500;       // batch.max_records of the elasticsearch output
  // Every output's retry section: retries start small and stay short, so that a scenario's
  // faults are retried many times over.
  std::string retry = "{initial: 50ms, max: 2s}";
  bool file_output = false;  // a file output beside the others (reloads)
  bool invalid = false;      // an unknown key: a reload must refuse it
};

// Writes DIR/agent.yaml for `config` (inputs on DIR/in) and returns its path.
std::filesystem::path write_agent_config(const std::filesystem::path& dir,
                                         const AgentConfig& config);

}  // namespace auditrelay::chaos
