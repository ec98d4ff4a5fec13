// A Report as JSON, CSV or one self-contained HTML page.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "agent/report/report.h"

namespace auditrelay::report {

// Who made the report and when; `id` is derived from both and what was asked.
struct ReportHeader {
  std::string id;
  int64_t generated_at_ms = 0;
  std::string generator;  // "auditrelay 0.1.0"
};
ReportHeader make_header(const Report& report, int64_t generated_at_ms, std::string generator);

// `{"report": {...}}`, the gateways' compliance report shape, with the figures they lack
// (timeline, reason codes, rollout modes, groups) and the report's own metadata.
void render_json(const Report& report, const ReportHeader& header, std::ostream& out);
// One row per group with --group-by, else one per day or month of the timeline.
void render_csv(const Report& report, std::ostream& out);
// One page: no script, no network; inline CSS and SVG charts.
void render_html(const Report& report, const ReportHeader& header, std::ostream& out);

// "99.99": the rate of `counts` with two decimals.
std::string compliance_rate_text(const Counts& counts);
std::string_view compliance_status(const Report& report);

// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
void write_csv_field(std::ostream& out, std::string_view field);

}  // namespace auditrelay::report
