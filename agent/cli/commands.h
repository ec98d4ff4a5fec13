// The subcommands of the `auditrelay` binary. main.cpp parses the command line (CLI11) and
// calls one of these; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace auditrelay::cli {

// Exit codes shared by the subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // invalid configuration, start-up failure
inline constexpr int kExitUsage = 2;     // bad command line
inline constexpr int kExitRejected = 3;  // normalize: some records were rejected

int run_command(const std::string& config_file, bool once);
// With `connect`, also tries each output's endpoint and credentials (one line each on stdout);
// exit 1 unless every one passed.
int check_command(const std::string& config_file, bool connect);
int buffer_status_command(const std::string& config_file);

struct NormalizeArgs {
  std::string schema = "auto";
  std::string dataset = "policy_gateway.audit";
  std::string namespace_ = "default";
  std::string service_name = "policy-gateway";
  size_t max_record_bytes = 1 << 20;
  std::vector<std::string> files;  // none, or "-": standard input
};
int normalize_command(const NormalizeArgs& args);

struct SetupArgs {
  std::string config_file;
  std::string ilm_policy;  // empty: no policy of ours (the cluster's default `logs` applies)
  std::string assets_dir;  // empty: the installed assets, else those of the source tree
};
int setup_command(const SetupArgs& args);

struct StatusArgs {
  std::string url = "http://127.0.0.1:2020";  // the agent's service.http_server.listen
  double interval_seconds = 1;  // between the two fetches that give the delivery rate; 0: one
};
// Exit 0 when the agent is healthy, 1 when unhealthy, 2 when it cannot be reached.
int status_command(const StatusArgs& args);

// The record filters `report` and `export` share, and the files they read.
struct ReportFilterArgs {
  std::string period;  // 2025-01 or 2025-01-10
  std::string start, end;
  std::string policy;              // an id or a name
  std::string provider;            // "none": requests without one
  std::vector<std::string> files;  // raw records or documents, .zst or not; "-": stdin
  size_t max_record_bytes = 1 << 20;
};

// Where `report` and `export` read when not from files: the cluster of a configuration's
// elasticsearch output.
struct EsSourceArgs {
  bool from_elasticsearch = false;
  std::string config_file;
  std::string output_name;  // the elasticsearch output to read through (default: the first)
  std::string index;        // instead of the output's data stream or index
};

struct ReportArgs {
  ReportFilterArgs filters;
  std::string granularity = "daily";
  std::string group_by;  // empty, provider, policy or decision
  std::string format = "json";
  std::string output_file;  // empty or "-": stdout
  std::string compliant_threshold = "99.9";
  size_t max_blocked = 1000;
  EsSourceArgs source;
};
// Exit 0 with the report written, 1 on an unreadable input or a cluster's error, 2 on usage.
int report_command(const ReportArgs& args);

struct ExportArgs {
  ReportFilterArgs filters;
  EsSourceArgs source;
  std::string allowed;  // empty, "true" or "false"
  std::string format = "csv";
  std::string output_file;
};
int export_command(const ExportArgs& args);

}  // namespace auditrelay::cli
