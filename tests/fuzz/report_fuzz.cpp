// Fuzzes what `auditrelay report` and `export` do with the lines of a file: any bytes, split at
// newlines, are read as records (raw of either schema, or documents), counted into a report with
// every grouping, and rendered as JSON, CSV and HTML and exported: nothing may crash, and every
// line is either counted or skipped.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "agent/report/aggregator.h"
#include "agent/report/export_writer.h"
#include "agent/report/render.h"
#include "agent/report/report_error.h"

using namespace auditrelay;
using namespace auditrelay::report;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first byte picks the options, so that every grouping and granularity is reached.
  ReportOptions options;
  uint8_t choice = size > 0 ? data[0] : 0;
  options.group_by = static_cast<GroupBy>(choice % 4);
  options.granularity = choice & 4 ? Granularity::kMonthly : Granularity::kDaily;
  options.max_blocked = choice & 8 ? 1 : 1000;
  if (choice & 16) options.filter.provider = "none";

  Aggregator aggregator(options);
  RecordReader reader;
  ReportRecord record;
  std::ostringstream exported;
  ExportWriter writer(choice & 32 ? ExportFormat::kJson : ExportFormat::kCsv, exported);
  writer.begin();
  uint64_t lines = 0, counted = 0;
  for (size_t at = 0; at < input.size();) {
    size_t end = input.find('\n', at);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(at, end - at);
    ++lines;
    aggregator.count_read();
    if (std::optional<Skip> skip = reader.read(line, {"fuzz", at}, 0, record)) {
      aggregator.count_skipped(skip->reason);
    } else {
      ++counted;
      if (options.filter.matches(record)) {
        aggregator.add(record);
        writer.write(record);
      }
    }
    at = end + 1;
  }
  writer.end();
  Report report;
  try {
    report = aggregator.finish("files", {"fuzz"});
  } catch (const ReportError&) {
    return 0;  // records too far apart for one timeline: refused with a message
  }
  if (report.records_read != lines || report.records_skipped + counted != lines) std::abort();
  if (report.summary.allowed + report.summary.blocked != report.summary.requests) std::abort();
  if (report.blocked.size() > options.max_blocked) std::abort();
  std::ostringstream out;
  ReportHeader header = make_header(report, 0, "fuzz");
  render_json(report, header, out);
  render_csv(report, out);
  render_html(report, header, out);
  return 0;
}
