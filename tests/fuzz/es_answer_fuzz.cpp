// Fuzzes what `report --from-elasticsearch` and `export --from-elasticsearch` read from the
// cluster: any answer body becomes a report or a page, or a ReportError; never a crash. Byte 0
// picks the options (grouping, granularity, a period), so that every aggregation is read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "agent/report/es_search.h"
#include "agent/report/render.h"
#include "agent/report/report_error.h"

using namespace auditrelay::report;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ReportOptions options;
  options.group_by = static_cast<GroupBy>(data[0] % 4);
  options.granularity = data[0] & 4 ? Granularity::kMonthly : Granularity::kDaily;
  if (data[0] & 8) options.filter.period = parse_period("2025-01");
  const std::string answer(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    Report report = report_from_search(answer, options, {"fuzz"});
    if (report.summary.allowed + report.summary.blocked != report.summary.requests) std::abort();
    std::ostringstream out;
    ReportHeader header = make_header(report, 0, "fuzz");
    render_json(report, header, out);
    render_csv(report, out);
    render_html(report, header, out);
  } catch (const ReportError&) {
  }
  try {
    ExportPage page = read_export_page(answer, 2);
    if (page.documents.size() > 2 && !page.after.empty()) std::abort();
  } catch (const ReportError&) {
  }
  return 0;
}
