#include "agent/report/render.h"

namespace auditrelay::report {
namespace {

void counts_row(std::ostream& out, std::string_view label, const Counts& c) {
  write_csv_field(out, label);
  out << ',' << c.requests << ',' << c.allowed << ',' << c.blocked << ',' << c.warned << ','
      << compliance_rate_text(c) << "\r\n";
}

}  // namespace

void write_csv_field(std::ostream& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out << field;
    return;
  }
  out << '"';
  for (char c : field) {
    if (c == '"') out << '"';
    out << c;
  }
  out << '"';
}

void render_csv(const Report& report, std::ostream& out) {
  const ReportOptions& o = report.options;
  constexpr std::string_view kColumns = ",requests,allowed,blocked,warned,compliance_rate\r\n";
  if (o.group_by != GroupBy::kNone) {
    out << to_string(o.group_by) << kColumns;
    for (const auto& [group, counts] : report.groups)
      counts_row(out, group, counts);
    return;
  }
  out << (o.granularity == Granularity::kDaily ? "date" : "month") << kColumns;
  for (const auto& [start, counts] : report.timeline)
    counts_row(out, bucket_label(start, o.granularity), counts);
}

}  // namespace auditrelay::report
