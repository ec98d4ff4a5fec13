#include "tests/chaos/agent_config.h"

#include "tests/fakes/fake_splunk_hec_handle.h"
#include "tests/fakes/fake_webhook_handle.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::chaos {
namespace {

std::string service(const AgentConfig& c) {
  return "service:\n"
         "  log_level: info\n"
         "  shutdown_timeout: 60s\n"
         "  storage: {path: \"" +
         c.storage.string() + "\", max_bytes: " + c.max_bytes +
         ", when_full: block, segment_bytes: " + c.segment_bytes +
         "}\n"
         "  http_server: {listen: \"127.0.0.1:0\"}\n";
}

std::string inputs(const std::filesystem::path& dir) {
  return "  inputs:\n"
         "    - name: files\n"
         "      type: tail\n"
         "      paths: [\"" +
         (dir / "in" / "*.jsonl*").string() +
         "\"]\n"
         "      schema: auto\n"
         "      read_from_head: true\n"
         "      refresh_interval: 50ms\n"
         "      rotate_wait: 200ms\n"
         "    - name: api\n"
         "      type: http\n"
         "      listen: 127.0.0.1:0\n"
         "      schema: auto\n";
}

std::string outputs(const AgentConfig& c) {
  const std::string retry = "      retry: " + c.retry + "\n";
  std::string yaml =
      "  outputs:\n"
      "    - name: es\n"
      "      type: elasticsearch\n"
      "      hosts: [\"" +
      c.es_url + "\"]\n      batch: {max_records: " + std::to_string(c.es_batch) +
      ", flush_interval: 50ms}\n" + retry;
  if (!c.hec_url.empty()) {
    yaml += "    - name: hec\n      type: splunk_hec\n      url: \"" + c.hec_url +
            "\"\n      token: \"" + fakes::FakeSplunkHec::kDefaultToken +
            "\"\n      ack: true\n      ack_interval: 100ms\n"
            "      batch: {max_records: 500, flush_interval: 50ms}\n" +
            retry;
  }
  if (!c.webhook_url.empty()) {
    yaml += "    - name: hook\n      type: webhook\n      url: \"" + c.webhook_url +
            "\"\n      secret: \"" + fakes::FakeWebhook::kDefaultSecret +
            "\"\n      concurrency: 4\n" + retry;
  }
  if (c.file_output) yaml += "    - name: copy\n      type: file\n      path: copy.ndjson\n";
  if (c.invalid) yaml += "    - name: broken\n      type: file\n      pathh: x.ndjson\n";
  return yaml;
}

}  // namespace

std::filesystem::path write_agent_config(const std::filesystem::path& dir,
                                         const AgentConfig& config) {
  std::filesystem::create_directories(dir / "in");
  const auto path = dir / "agent.yaml";
  // Whole or not at all: a SIGHUP may come right after.
  const auto staging = dir / "agent.yaml.new";
  test::write_file(staging, service(config) +
                                "pipeline:\n"
                                "  normalize: {namespace: chaos}\n" +
                                inputs(dir) + outputs(config));
  std::filesystem::rename(staging, path);
  return path;
}

}  // namespace auditrelay::chaos
