// The report as one page a reviewer can attach to audit evidence: no script, no fonts or images
// to fetch, charts drawn as inline SVG. Every text from the records is escaped.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "agent/report/render.h"

namespace auditrelay::report {
namespace {

// The decisions' colours, also in the legend; readable for the common colour-vision deficits.
constexpr std::string_view kAllowedColour = "#2b8a3e";
constexpr std::string_view kWarnedColour = "#e8a400";
constexpr std::string_view kBlockedColour = "#c92a2a";
constexpr std::string_view kBarColour = "#3b5bdb";

constexpr int kChartWidth = 960;
constexpr int kPlotLeft = 64;
constexpr int kPlotRight = 16;
constexpr int kPlotTop = 16;
constexpr int kPlotBottom = 48;
// A segment of one request among thousands would be thinner than a pixel: shown at least this
// high, so that a single blocked request is visible.
constexpr double kMinSegment = 2.0;
constexpr size_t kMaxReasonBars = 20;

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// At most `max` bytes of `text`, cut before a character rather than inside one, with "…".
std::string shortened(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t cut = max - 1;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return text.substr(0, cut) + "…";
}

std::string number(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fixed(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

// A round axis maximum at or above `value` (1, 2 or 5 times a power of ten).
uint64_t nice_ceiling(uint64_t value) {
  if (value <= 5) return 5;
  uint64_t power = 1;
  while (power * 10 < value)
    power *= 10;
  for (uint64_t step : {1, 2, 5, 10})
    if (step * power >= value) return step * power;
  return 10 * power;
}

const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#212529;background:#fff;margin:0;padding:24px 32px;max-width:1040px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dee2e6;padding-bottom:4px}
.meta{color:#495057;margin:0}
.status{display:inline-block;font-weight:700;padding:4px 12px;border-radius:4px;margin-top:8px;color:#fff}
.status.COMPLIANT{background:#2b8a3e}.status.NON_COMPLIANT{background:#c92a2a}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #dee2e6;border-radius:6px;padding:10px 14px;min-width:150px}
.card .label{color:#495057;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:22px;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e9ecef;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f5}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.legend span{display:inline-block;margin-right:16px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
.note{color:#495057;font-size:12px}
svg text{font:11px system-ui,"DejaVu Sans",sans-serif;fill:#495057}
footer{margin-top:32px;color:#495057;font-size:12px}
)";

void legend(std::ostream& out) {
  out << "<p class=\"legend\"><span><i style=\"background:" << kAllowedColour
      << "\"></i>allowed</span><span><i style=\"background:" << kWarnedColour
      << "\"></i>warned (allowed)</span><span><i style=\"background:" << kBlockedColour
      << "\"></i>blocked</span></p>\n";
}

void no_data(std::ostream& out, int width, int height, std::string_view text) {
  out << "<text x=\"" << width / 2 << "\" y=\"" << height / 2 << "\" text-anchor=\"middle\">"
      << escape(text) << "</text>";
}

// Stacked bars per day or month: allowed (not warned) at the bottom, warned, blocked on top.
void decisions_chart(const Report& report, std::ostream& out) {
  constexpr int kHeight = 300;
  const auto& buckets = report.timeline;
  out << "<svg class=\"chart\" data-chart=\"decisions-over-time\" "
         "xmlns=\"http://www.w3.org/2000/svg\" "
         "width=\""
      << kChartWidth << "\" height=\"" << kHeight << "\" viewBox=\"0 0 " << kChartWidth << ' '
      << kHeight << "\" role=\"img\" aria-label=\"Decisions per "
      << (report.options.granularity == Granularity::kDaily ? "day" : "month") << "\">";
  if (buckets.empty() || report.summary.requests == 0) {
    no_data(out, kChartWidth, kHeight, "No requests in this period");
    out << "</svg>\n";
    return;
  }
  uint64_t peak = 0;
  for (const auto& [start, c] : buckets)
    peak = std::max(peak, c.requests);
  const uint64_t axis_max = nice_ceiling(peak);
  const double plot_w = kChartWidth - kPlotLeft - kPlotRight;
  const double plot_h = kHeight - kPlotTop - kPlotBottom;
  const double base = kPlotTop + plot_h;
  // Axis and grid: five steps.
  for (int i = 0; i <= 5; ++i) {
    double y = base - plot_h * i / 5;
    out << "<line x1=\"" << kPlotLeft << "\" x2=\"" << kChartWidth - kPlotRight << "\" y1=\""
        << fixed(y) << "\" y2=\"" << fixed(y) << "\" stroke=\"#e9ecef\"/>"
        << "<text x=\"" << kPlotLeft - 6 << "\" y=\"" << fixed(y + 4) << "\" text-anchor=\"end\">"
        << number(axis_max * i / 5) << "</text>";
  }
  const double slot = plot_w / static_cast<double>(buckets.size());
  const double bar_w = std::max(1.0, slot * 0.8);
  const size_t label_every = (buckets.size() + 11) / 12;  // at most about 12 labels
  for (size_t i = 0; i < buckets.size(); ++i) {
    const int64_t start = buckets[i].first;  // not a structured binding: the lambda uses it
    const Counts& c = buckets[i].second;
    const double x = kPlotLeft + slot * static_cast<double>(i) + (slot - bar_w) / 2;
    double y = base;
    auto segment = [&](uint64_t count, std::string_view colour, std::string_view what) {
      if (count == 0) return;
      double h = std::max(kMinSegment,
                          plot_h * static_cast<double>(count) / static_cast<double>(axis_max));
      y -= h;
      out << "<rect class=\"mark\" x=\"" << fixed(x) << "\" y=\"" << fixed(y) << "\" width=\""
          << fixed(bar_w) << "\" height=\"" << fixed(h) << "\" fill=\"" << colour << "\"><title>"
          << bucket_label(start, report.options.granularity) << ": " << number(count) << ' ' << what
          << "</title></rect>";
    };
    segment(c.allowed - c.warned, kAllowedColour, "allowed");
    segment(c.warned, kWarnedColour, "warned");
    segment(c.blocked, kBlockedColour, "blocked");
    if (i % label_every == 0) {
      out << "<text x=\"" << fixed(x + bar_w / 2) << "\" y=\"" << base + 16
          << "\" text-anchor=\"middle\">" << bucket_label(start, report.options.granularity)
          << "</text>";
    }
  }
  out << "<line x1=\"" << kPlotLeft << "\" x2=\"" << kChartWidth - kPlotRight << "\" y1=\""
      << fixed(base) << "\" y2=\"" << fixed(base) << "\" stroke=\"#868e96\"/></svg>\n";
}

// Horizontal bars, most frequent reason code first.
void reason_codes_chart(const Report& report, std::ostream& out) {
  constexpr int kRow = 24;
  constexpr int kLabelWidth = 220;
  const size_t rows = std::min(report.reason_codes.size(), kMaxReasonBars);
  const int height = std::max<int>(80, static_cast<int>(rows) * kRow + 24);
  out << "<svg class=\"chart\" data-chart=\"reason-codes\" xmlns=\"http://www.w3.org/2000/svg\" "
         "width=\""
      << kChartWidth << "\" height=\"" << height << "\" viewBox=\"0 0 " << kChartWidth << ' '
      << height << "\" role=\"img\" aria-label=\"Requests per reason code\">";
  if (rows == 0) {
    no_data(out, kChartWidth, height, "No reason codes recorded");
    out << "</svg>\n";
    return;
  }
  const double most = static_cast<double>(report.reason_codes.front().second);
  const double bar_space = kChartWidth - kLabelWidth - 90;
  for (size_t i = 0; i < rows; ++i) {
    const auto& [code, count] = report.reason_codes[i];
    const int y = 8 + static_cast<int>(i) * kRow;
    const double w = std::max(kMinSegment, bar_space * static_cast<double>(count) / most);
    out << "<text x=\"" << kLabelWidth - 8 << "\" y=\"" << y + 14 << "\" text-anchor=\"end\">"
        << escape(shortened(code, 34)) << "</text>"
        << "<rect class=\"mark\" x=\"" << kLabelWidth << "\" y=\"" << y << "\" width=\"" << fixed(w)
        << "\" height=\"" << kRow - 6 << "\" fill=\"" << kBarColour << "\"><title>" << escape(code)
        << ": " << number(count) << "</title></rect>"
        << "<text x=\"" << fixed(kLabelWidth + w + 6) << "\" y=\"" << y + 14 << "\">"
        << number(count) << "</text>";
  }
  out << "</svg>\n";
  if (report.reason_codes.size() > rows) {
    out << "<p class=\"note\">The " << rows << " most frequent of " << report.reason_codes.size()
        << " reason codes.</p>\n";
  }
}

void breakdown_table(std::ostream& out, std::string_view first_column, const Breakdown& rows) {
  out << "<table><thead><tr><th>" << first_column
      << "</th><th class=\"n\">requests</th><th class=\"n\">allowed</th><th "
         "class=\"n\">blocked</th><th class=\"n\">warned</th><th class=\"n\">compliance "
         "rate</th></tr></thead><tbody>";
  for (const auto& [name, c] : rows) {
    out << "<tr><td>" << escape(name) << "</td><td class=\"n\">" << number(c.requests)
        << "</td><td class=\"n\">" << number(c.allowed) << "</td><td class=\"n\">"
        << number(c.blocked) << "</td><td class=\"n\">" << number(c.warned)
        << "</td><td class=\"n\">" << compliance_rate_text(c) << " %</td></tr>";
  }
  if (rows.empty()) out << "<tr><td colspan=\"6\">No requests</td></tr>";
  out << "</tbody></table>\n";
}

void card(std::ostream& out, std::string_view label, const std::string& value) {
  out << "<div class=\"card\"><div class=\"label\">" << label << "</div><div class=\"value\">"
      << value << "</div></div>";
}

void blocked_table(const Report& report, std::ostream& out) {
  out << "<table><thead><tr><th>time (UTC)</th><th>request id</th><th>model</th><th>provider</th>"
         "<th>policy</th><th>reasons</th><th>IP address</th></tr></thead><tbody>";
  for (const BlockedRequest& b : report.blocked) {
    out << "<tr><td>" << escape(b.timestamp) << "</td><td>" << escape(b.request_id.value_or(""))
        << "</td><td>" << escape(b.model) << "</td><td>"
        << escape(b.provider.value_or(std::string(kNoneKey))) << "</td><td>" << escape(b.policy_id)
        << "</td><td>";
    for (size_t i = 0; i < b.reasons.size(); ++i)
      out << (i > 0 ? "<br>" : "") << escape(b.reasons[i]);
    out << "</td><td>" << escape(b.ip.value_or("")) << "</td></tr>";
  }
  if (report.blocked.empty()) out << "<tr><td colspan=\"7\">No blocked requests</td></tr>";
  out << "</tbody></table>\n";
  if (report.blocked_truncated()) {
    out << "<p class=\"note\">The first " << number(report.blocked.size()) << " of "
        << number(report.summary.blocked) << " blocked requests (the list is capped at "
        << number(report.options.max_blocked) << "; --max-blocked changes it).</p>\n";
  }
}

}  // namespace

void render_html(const Report& report, const ReportHeader& header, std::ostream& out) {
  const ReportOptions& o = report.options;
  const std::string policy = report.policy_name
                                 ? *report.policy_name + " (" + report.policy_id.value_or("") + ")"
                             : report.policy_id ? *report.policy_id
                             : o.filter.policy  ? *o.filter.policy
                                                : "All policies";
  const std::string period = report.has_period() ? format_instant(report.period.start_ms) + " to " +
                                                       format_instant(report.period.end_ms)
                                                 : "none (no records)";
  const std::string_view status = compliance_status(report);

  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
         "<title>Compliance report: "
      << escape(policy) << ", " << escape(period) << "</title><style>" << kStyle
      << "</style></head><body>\n";
  out << "<header><h1>Compliance report</h1><p class=\"meta\">Policy: <strong>" << escape(policy)
      << "</strong>";
  if (o.filter.provider) out << " · provider " << escape(*o.filter.provider);
  out << "</p><p class=\"meta\">Period: " << escape(period) << " (end excluded)</p>"
      << "<p class=\"meta\">Generated " << format_instant(header.generated_at_ms) << " by "
      << escape(header.generator) << " · report " << escape(header.id) << "</p>"
      << "<span class=\"status " << status << "\">" << status << "</span></header>\n";

  out << "<section data-section=\"summary\"><h2>Summary</h2><div class=\"cards\">";
  card(out, "Total requests", number(report.summary.requests));
  card(out, "Allowed", number(report.summary.allowed));
  card(out, "Blocked", number(report.summary.blocked));
  card(out, "Warned", number(report.summary.warned));
  card(out, "Compliance rate", compliance_rate_text(report.summary) + " %");
  out << "</div><p class=\"note\">Compliance rate: requests not blocked, rounded down to "
         "hundredths. COMPLIANT at "
      << format_threshold(o.compliant_threshold)
      << " % or more. Warned requests were allowed and are counted in both.</p></section>\n";

  out << "<section data-section=\"decisions-over-time\"><h2>Decisions per "
      << (o.granularity == Granularity::kDaily ? "day" : "month") << "</h2>";
  legend(out);
  decisions_chart(report, out);
  out << "</section>\n";

  out << "<section data-section=\"reason-codes\"><h2>Reason codes</h2>";
  reason_codes_chart(report, out);
  out << "</section>\n";

  out << "<section data-section=\"violation-reasons\"><h2>Violation reasons</h2>"
      << "<table><thead><tr><th>reason (or triggered category)</th><th class=\"n\">"
         "occurrences</th></tr></thead><tbody>";
  for (const auto& [reason, count] : report.violation_reasons)
    out << "<tr><td>" << escape(reason) << "</td><td class=\"n\">" << number(count) << "</td></tr>";
  if (report.violation_reasons.empty()) out << "<tr><td colspan=\"2\">None recorded</td></tr>";
  out << "</tbody></table>";
  if (report.violation_reasons.size() == kTopReasons)
    out << "<p class=\"note\">The " << kTopReasons << " most frequent.</p>";
  out << "</section>\n";

  out << "<section data-section=\"rollout-modes\"><h2>Rollout modes</h2>";
  breakdown_table(out, "rollout mode / enforcement", report.rollout_modes);
  out << "</section>\n";

  out << "<section data-section=\"providers\"><h2>Providers</h2>";
  breakdown_table(out, "provider", report.providers);
  out << "<p class=\"note\">" << kNoneKey
      << ": no provider recorded (a request blocked before routing, or a policy_gateway "
         "record, which names none).</p></section>\n";

  if (o.group_by != GroupBy::kNone) {
    out << "<section data-section=\"groups\"><h2>By " << to_string(o.group_by) << "</h2>";
    breakdown_table(out, to_string(o.group_by), report.groups);
    out << "</section>\n";
  }

  out << "<section data-section=\"blocked-requests\"><h2>Blocked requests</h2>";
  blocked_table(report, out);
  out << "</section>\n";

  out << "<footer>Source: " << escape(report.source) << " (";
  for (size_t i = 0; i < report.inputs.size(); ++i)
    out << (i > 0 ? ", " : "") << escape(report.inputs[i]);
  out << "). Records read: " << number(report.records_read)
      << "; skipped as unreadable: " << number(report.records_skipped);
  for (const auto& [reason, count] : report.skipped_by_reason)
    out << " · " << escape(reason) << ' ' << number(count);
  out << ".</footer>\n</body></html>\n";
}

}  // namespace auditrelay::report
