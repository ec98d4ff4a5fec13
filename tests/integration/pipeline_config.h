// Writes a tail → file (or another output) pipeline config into a test's temp dir.
#pragma once

#include <string>

#include "tests/support/temp_dir.h"

namespace auditrelay::test {

struct TailToFile {
  std::string input_glob = "in/*.jsonl";
  std::string schema = "policy_gateway";
  std::string extra_input = "";    // more YAML lines for the input (indented 6)
  std::string extra_service = "";  // more YAML lines for service: (indented 2)
  bool read_from_head = true;
  std::string storage = "{path: state}";  // the service.storage mapping
  std::string output_path = "out.ndjson";
  std::string output_yaml = "";  // replaces the file output: a list item, indented 4
};

// Creates DIR/in/ and DIR/agent.yaml; documents go to DIR/out.ndjson (by default), state to
// DIR/state.
inline std::filesystem::path write_tail_to_file_config(const TempDir& dir,
                                                       const TailToFile& c = {}) {
  std::filesystem::create_directories(dir / "in");
  std::string yaml =
      "service:\n"
      "  log_level: debug\n"
      "  shutdown_timeout: 20s\n"
      "  storage: " +
      c.storage + "\n" + c.extra_service +
      "pipeline:\n"
      "  normalize: {namespace: test}\n"
      "  inputs:\n"
      "    - name: gateway\n"
      "      type: tail\n"
      "      paths: [\"" +
      c.input_glob +
      "\"]\n"
      "      schema: " +
      c.schema +
      "\n"
      "      read_from_head: " +
      (c.read_from_head ? "true" : "false") +
      "\n"
      "      refresh_interval: 50ms\n"
      "      rotate_wait: 200ms\n" +
      c.extra_input + "  outputs:\n" +
      (c.output_yaml.empty() ? "    - type: file\n      path: " + c.output_path + "\n"
                             : c.output_yaml);
  write_file(dir / "agent.yaml", yaml);
  return dir / "agent.yaml";
}

// A valid policy_gateway record whose reason_code carries a sequence number.
inline std::string gateway_record(int seq) {
  return R"({"policy_id":"p","decision":"allow","created_at":"2026-01-16T18:22:11Z","reason_code":"seq-)" +
         std::to_string(seq) + "\"}";
}

}  // namespace auditrelay::test

namespace auditrelay::test {

// Writes records 0..n-1 of gateway_record() as one JSON-lines file.
inline void write_gateway_records(const std::filesystem::path& path, int n) {
  std::string content;
  for (int i = 0; i < n; ++i)
    content += gateway_record(i) + "\n";
  write_file(path, content);
}

}  // namespace auditrelay::test
