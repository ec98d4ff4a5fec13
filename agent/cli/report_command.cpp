// `auditrelay report` and `auditrelay export`: compliance figures and evidence from what the
// agent shipped, read back from files (raw records of either schema, or normalized documents;
// zstd-compressed or not) or, for reports, from Elasticsearch with one aggregation query.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "agent/cli/commands.h"
#include "agent/cli/setup/cluster.h"
#include "agent/cli/setup/setup_error.h"
#include "agent/config/config.h"
#include "agent/core/config_schema.h"
#include "agent/core/engine.h"
#include "agent/report/aggregator.h"
#include "agent/report/es_search.h"
#include "agent/report/export_writer.h"
#include "agent/report/record_files.h"
#include "agent/report/render.h"
#include "agent/report/report_error.h"

namespace auditrelay::cli {
namespace {

using report::ReportError;

// Skipped lines are named on stderr up to this many; the rest are only counted.
constexpr int kSkipsShown = 10;

report::Filter make_filter(const ReportFilterArgs& args) {
  report::Filter filter;
  if (!args.period.empty() && (!args.start.empty() || !args.end.empty()))
    throw ReportError("--period and --start/--end exclude each other");
  if (!args.period.empty()) filter.period = report::parse_period(args.period);
  if (args.start.empty() != args.end.empty()) throw ReportError("--start and --end go together");
  if (!args.start.empty()) filter.period = report::parse_start_end(args.start, args.end);
  if (!args.policy.empty()) filter.policy = args.policy;
  if (!args.provider.empty()) filter.provider = args.provider;
  return filter;
}

std::vector<std::string> input_paths(const std::vector<std::string>& files) {
  std::vector<std::string> paths;
  for (const std::string& f : files)
    paths.push_back(f == "-" ? "/dev/stdin" : f);
  return paths;
}

// Reads every line of `files`: calls `read(record, whether the filter keeps it)` for each record,
// `skipped(reason)` for each line that is not one (the first few named on stderr).
template <typename OnRecord, typename OnSkip>
void scan_files(const std::vector<std::string>& files, size_t max_record_bytes,
                const report::Filter& filter, OnRecord&& read, OnSkip&& skipped) {
  report::RecordFiles reader(input_paths(files), max_record_bytes);
  report::RecordReader records;
  report::ReportRecord record;
  int shown = 0;
  while (const RawBatch* batch = reader.next()) {
    for (const RawRecord& raw : batch->records()) {
      std::optional<report::Skip> skip;
      if (raw.truncated()) {
        skip = report::Skip{"too_large", "line of " + std::to_string(raw.full_size) +
                                             " bytes is over --max-record-bytes"};
      } else {
        skip = records.read(batch->bytes(raw), {batch->source(raw).id_key, raw.position},
                            batch->readable_after(raw), record);
      }
      if (!skip) {
        read(record, filter.matches(record));
        continue;
      }
      skipped(skip->reason);
      if (shown++ < kSkipsShown) {
        std::cerr << "auditrelay: " << batch->source(raw).name << ":" << raw.position
                  << ": skipped: " << skip->reason << ": " << skip->message << "\n";
      }
    }
  }
  if (shown > kSkipsShown) {
    std::cerr << "auditrelay: " << shown - kSkipsShown << " more lines skipped\n";
  }
}

int64_t now_ms() {
  // SOURCE_DATE_EPOCH (reproducible builds' convention) fixes the time, for stable output.
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    long long seconds = std::strtoll(epoch, &end, 10);
    if (*epoch != '\0' && *end == '\0' && seconds >= 0 && seconds < 253'402'300'800)
      return seconds * 1000;
    throw ReportError("SOURCE_DATE_EPOCH '" + std::string(epoch) +
                      "' is not a number of seconds since 1970");
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Standard output, or a file written in full before it takes its name (a failed report leaves
// no file, and never half of one).
class Output {
 public:
  Output(const std::string& path, const std::vector<std::string>& inputs) : path_(path) {
    if (path_.empty() || path_ == "-") return;
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const std::string& input : inputs) {
      if (fs::exists(path_, ec) && fs::equivalent(path_, input, ec))
        throw ReportError(path_ + ": is also an input: write the output elsewhere");
    }
    tmp_ = path_ + ".tmp." + std::to_string(::getpid());
    file_.open(tmp_, std::ios::binary | std::ios::trunc);
    if (!file_) throw ReportError(path_ + ": cannot write beside it (" + tmp_ + ")");
  }
  ~Output() {
    std::error_code ignored;
    if (!tmp_.empty() && !committed_) std::filesystem::remove(tmp_, ignored);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  std::ostream& stream() { return tmp_.empty() ? std::cout : file_; }
  void commit() {
    stream().flush();
    if (!stream()) throw ReportError((tmp_.empty() ? "stdout" : path_) + ": write failed");
    if (tmp_.empty()) return;
    file_.close();
    std::error_code ec;
    std::filesystem::rename(tmp_, path_, ec);
    if (ec) throw ReportError(path_ + ": cannot write: " + ec.message());
    committed_ = true;
  }

 private:
  std::string path_, tmp_;
  std::ofstream file_;
  bool committed_ = false;
};

// The cluster of the configuration's elasticsearch output (its hosts, credentials and TLS
// settings), searched on the data stream or index that output writes.
class ClusterSearch {
 public:
  explicit ClusterSearch(const EsSourceArgs& args) {
    try {
      config_ = load_config(args.config_file, make_config_schema(builtin_plugins()));
      Engine::validate(config_, builtin_plugins());
    } catch (const ConfigError& e) {
      throw ReportError(std::string("invalid configuration: ") + e.what());
    }
    for (const InstanceConfig& output : config_.outputs) {
      if (output.type != "elasticsearch") continue;
      if (!args.output_name.empty() && output.name != args.output_name) continue;
      output_ = &output;
      break;
    }
    if (output_ == nullptr) {
      throw ReportError(args.output_name.empty()
                            ? args.config_file + " has no elasticsearch output"
                            : args.config_file + " has no elasticsearch output named '" +
                                  args.output_name + "'");
    }
    const Settings& normalize = config_.pipeline.section("normalize");
    target_ = !args.index.empty() ? args.index
              : output_->settings.has("index")
                  ? output_->settings.string("index")
                  : "logs-" + normalize.string("dataset") + "-" + normalize.string("namespace");
    try {
      cluster_ = std::make_unique<setup::Cluster>(
          *output_, std::filesystem::path(config_.service.section("storage").string("path")) /
                        "outputs" / output_->name);
    } catch (const setup::SetupError& e) {
      throw ReportError("output '" + output_->name + "': " + e.what());
    }
  }

  // The answer to one search (HTTP 200); throws ReportError, never showing a secret.
  std::string search(const std::string& body) {
    const std::string path = "/" + target_ + "/_search";
    try {
      delivery::HttpResponse r = cluster_->request("POST", path, body);
      if (r.status != 200) setup::fail(*cluster_, "POST", path, r);
      return std::move(r.body);
    } catch (const setup::SetupError& e) {
      throw ReportError("output '" + output_->name + "': " + e.what());
    }
  }

  // The host that answered and the target, for a report's inputs.
  std::vector<std::string> description() const { return {cluster_->host(), target_}; }

 private:
  PipelineConfig config_;
  const InstanceConfig* output_ = nullptr;
  std::string target_;
  std::unique_ptr<setup::Cluster> cluster_;
};

report::Report report_from_elasticsearch(const ReportArgs& args, report::ReportOptions options) {
  ClusterSearch cluster(args.source);
  if (options.max_blocked > report::kMaxSearchHits) {
    std::cerr << "auditrelay: --max-blocked " << options.max_blocked
              << " is over Elasticsearch's window of " << report::kMaxSearchHits
              << " hits: the list holds at most " << report::kMaxSearchHits << "\n";
    options.max_blocked = report::kMaxSearchHits;
  }
  std::string answer = cluster.search(report::search_body(options));
  return report::report_from_search(answer, std::move(options), cluster.description());
}

// Writes the matching documents of the cluster, a page at a time (constant memory).
void export_from_elasticsearch(const ExportArgs& args, const report::Filter& filter,
                               report::ExportWriter& writer) {
  constexpr size_t kPageSize = 1000;
  ClusterSearch cluster(args.source);
  report::RecordReader reader;
  report::ReportRecord record;
  std::string after;
  do {
    report::ExportPage page = report::read_export_page(
        cluster.search(report::export_page_body(filter, kPageSize, after)), kPageSize);
    for (const std::string& document : page.documents) {
      if (std::optional<report::Skip> skip = reader.read(document, {"elasticsearch", 0}, 0, record))
        throw ReportError("a document of the cluster is not an audit record: " + skip->message);
      writer.write(record);
    }
    after = std::move(page.after);
  } while (!after.empty());
}

// The usage checks of the files-or-cluster choice; false after saying what is wrong.
bool check_source(const char* command, const std::vector<std::string>& files,
                  const EsSourceArgs& source) {
  if (source.from_elasticsearch == !files.empty()) {
    std::cerr << "auditrelay: " << command
              << ": give either record files or --from-elasticsearch -c FILE\n";
    return false;
  }
  if (source.from_elasticsearch && source.config_file.empty()) {
    std::cerr << "auditrelay: " << command << ": --from-elasticsearch needs -c FILE\n";
    return false;
  }
  if (!source.from_elasticsearch &&
      (!source.config_file.empty() || !source.output_name.empty() || !source.index.empty())) {
    std::cerr << "auditrelay: " << command
              << ": -c, --es-output and --index go with --from-elasticsearch\n";
    return false;
  }
  return true;
}

report::ReportOptions report_options(const ReportArgs& args) {
  report::ReportOptions options;
  options.filter = make_filter(args.filters);
  if (!report::parse_granularity(args.granularity, options.granularity))
    throw ReportError("--granularity must be daily or monthly");
  if (!args.group_by.empty() && !report::parse_group_by(args.group_by, options.group_by))
    throw ReportError("--group-by must be provider, policy or decision");
  options.compliant_threshold = report::parse_threshold(args.compliant_threshold);
  options.max_blocked = args.max_blocked;
  report::check_timeline_size(options);
  return options;
}

}  // namespace

int report_command(const ReportArgs& args) {
  if (!check_source("report", args.filters.files, args.source)) return kExitUsage;
  try {
    report::ReportOptions options = report_options(args);
    report::Report result;
    if (args.source.from_elasticsearch) {
      result = report_from_elasticsearch(args, std::move(options));
    } else {
      report::Aggregator aggregator(options);
      scan_files(
          args.filters.files, args.filters.max_record_bytes, options.filter,
          [&](const report::ReportRecord& record, bool matches) {
            aggregator.count_read();
            if (matches) aggregator.add(record);
          },
          [&](const std::string& reason) {
            aggregator.count_read();
            aggregator.count_skipped(reason);
          });
      result = aggregator.finish("files", args.filters.files);
    }
    if (result.summary.requests == 0)
      std::cerr << "auditrelay: report: no request matched: the report is empty\n";
    Output output(args.output_file, args.filters.files);
    report::ReportHeader header =
        report::make_header(result, now_ms(), std::string("auditrelay ") + AUDITRELAY_VERSION);
    if (args.format == "json")
      report::render_json(result, header, output.stream());
    else if (args.format == "csv")
      report::render_csv(result, output.stream());
    else
      report::render_html(result, header, output.stream());
    output.commit();
    return kExitOk;
  } catch (const ReportError& e) {
    std::cerr << "auditrelay: report: " << e.what() << "\n";
    return kExitFailure;
  }
}

int export_command(const ExportArgs& args) {
  if (!check_source("export", args.filters.files, args.source)) return kExitUsage;
  try {
    report::Filter filter = make_filter(args.filters);
    if (!args.allowed.empty()) filter.allowed = args.allowed == "true";
    Output output(args.output_file, args.filters.files);
    report::ExportWriter writer(
        args.format == "csv" ? report::ExportFormat::kCsv : report::ExportFormat::kJson,
        output.stream());
    uint64_t skipped = 0;
    writer.begin();
    if (args.source.from_elasticsearch) {
      export_from_elasticsearch(args, filter, writer);
    } else {
      scan_files(
          args.filters.files, args.filters.max_record_bytes, filter,
          [&](const report::ReportRecord& record, bool matches) {
            if (matches) writer.write(record);
          },
          [&](const std::string&) { ++skipped; });
    }
    writer.end();
    output.commit();
    if (skipped > 0) {
      std::cerr << "auditrelay: export: " << writer.written() << " records written, " << skipped
                << " unreadable lines skipped\n";
    }
    return kExitOk;
  } catch (const ReportError& e) {
    std::cerr << "auditrelay: export: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace auditrelay::cli
