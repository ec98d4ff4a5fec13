#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>
#include <xxhash.h>

#include "agent/report/render.h"

namespace auditrelay::report {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::OStreamWrapper>;

void key(Writer& w, std::string_view name) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
void string(Writer& w, std::string_view value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void optional_string(Writer& w, const std::optional<std::string>& value) {
  if (value)
    string(w, *value);
  else
    w.Null();
}
// The rate as a JSON number with exactly two decimals (99.99, 100.00).
void rate(Writer& w, const Counts& counts) {
  std::string text = compliance_rate_text(counts);
  w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

void counts_fields(Writer& w, const Counts& c, bool with_warned) {
  key(w, "requests");
  w.Uint64(c.requests);
  key(w, "allowed");
  w.Uint64(c.allowed);
  key(w, "blocked");
  w.Uint64(c.blocked);
  if (with_warned) {
    key(w, "warned");
    w.Uint64(c.warned);
    key(w, "complianceRate");
    rate(w, c);
  }
}

void summary(Writer& w, const Counts& c) {
  w.StartObject();
  key(w, "totalRequests");
  w.Uint64(c.requests);
  key(w, "allowedRequests");
  w.Uint64(c.allowed);
  key(w, "blockedRequests");
  w.Uint64(c.blocked);
  key(w, "warnedRequests");
  w.Uint64(c.warned);
  key(w, "complianceRate");
  rate(w, c);
  w.EndObject();
}

void breakdown_object(Writer& w, const Breakdown& breakdown, bool with_warned) {
  w.StartObject();
  for (const auto& [name, counts] : breakdown) {
    key(w, name);
    w.StartObject();
    counts_fields(w, counts, with_warned);
    w.EndObject();
  }
  w.EndObject();
}

void blocked_requests(Writer& w, const std::vector<BlockedRequest>& blocked) {
  w.StartArray();
  for (const BlockedRequest& b : blocked) {
    w.StartObject();
    key(w, "timestamp");
    string(w, b.timestamp);
    key(w, "requestId");
    optional_string(w, b.request_id);
    key(w, "model");
    string(w, b.model);
    key(w, "reasons");
    w.StartArray();
    for (const std::string& reason : b.reasons)
      string(w, reason);
    w.EndArray();
    key(w, "ipAddress");
    optional_string(w, b.ip);
    key(w, "id");
    string(w, b.id);
    key(w, "policyId");
    string(w, b.policy_id);
    key(w, "provider");
    optional_string(w, b.provider);
    w.EndObject();
  }
  w.EndArray();
}

void timeline(Writer& w, const Report& report) {
  w.StartArray();
  for (const auto& [start, counts] : report.timeline) {
    w.StartObject();
    key(w, "start");
    string(w, format_instant(start));
    counts_fields(w, counts, true);
    w.EndObject();
  }
  w.EndArray();
}

void metadata(Writer& w, const Report& report, const ReportHeader& header) {
  const ReportOptions& o = report.options;
  w.StartObject();
  key(w, "generator");
  string(w, header.generator);
  key(w, "source");
  string(w, report.source);
  key(w, "inputs");
  w.StartArray();
  for (const std::string& input : report.inputs)
    string(w, input);
  w.EndArray();
  key(w, "filters");
  w.StartObject();
  key(w, "policy");
  optional_string(w, o.filter.policy);
  key(w, "provider");
  optional_string(w, o.filter.provider);
  w.EndObject();
  key(w, "granularity");
  string(w, to_string(o.granularity));
  key(w, "groupBy");
  if (o.group_by == GroupBy::kNone)
    w.Null();
  else
    string(w, to_string(o.group_by));
  key(w, "compliantThreshold");
  const std::string threshold = format_threshold(o.compliant_threshold);
  w.RawValue(threshold.data(), threshold.size(), rapidjson::kNumberType);
  key(w, "blockedRequestsCap");
  w.Uint64(o.max_blocked);
  key(w, "blockedRequestsListed");
  w.Uint64(report.blocked.size());
  key(w, "blockedRequestsTruncated");
  w.Bool(report.blocked_truncated());
  key(w, "recordsRead");
  w.Uint64(report.records_read);
  key(w, "recordsSkipped");
  w.Uint64(report.records_skipped);
  key(w, "skippedByReason");
  w.StartObject();
  for (const auto& [reason, count] : report.skipped_by_reason) {
    key(w, reason);
    w.Uint64(count);
  }
  w.EndObject();
  w.EndObject();
}

}  // namespace

ReportHeader make_header(const Report& report, int64_t generated_at_ms, std::string generator) {
  // The id names this report: what was asked, of what, and when it was made.
  const ReportOptions& o = report.options;
  std::string basis = std::to_string(generated_at_ms) + '\0' + report.source;
  for (const std::string& input : report.inputs)
    basis += '\0' + input;
  for (const std::string& part :
       {o.filter.policy.value_or(""), o.filter.provider.value_or(""),
        std::to_string(report.period.start_ms), std::to_string(report.period.end_ms),
        std::string(to_string(o.granularity)), std::string(to_string(o.group_by)),
        std::to_string(o.compliant_threshold), std::to_string(o.max_blocked)})
    basis += '\0' + part;
  char id[32];
  std::snprintf(id, sizeof id, "rpt_%016llx",
                static_cast<unsigned long long>(XXH3_64bits(basis.data(), basis.size())));
  return {id, generated_at_ms, std::move(generator)};
}

std::string compliance_rate_text(const Counts& counts) {
  uint64_t hundredths = counts.compliance_hundredths();
  char text[32];
  std::snprintf(text, sizeof text, "%llu.%02llu", static_cast<unsigned long long>(hundredths / 100),
                static_cast<unsigned long long>(hundredths % 100));
  return text;
}

std::string_view compliance_status(const Report& report) {
  return report.compliant() ? "COMPLIANT" : "NON_COMPLIANT";
}

void render_json(const Report& report, const ReportHeader& header, std::ostream& out) {
  rapidjson::OStreamWrapper stream(out);
  Writer w(stream);
  w.SetIndent(' ', 2);
  w.StartObject();
  key(w, "report");
  w.StartObject();
  key(w, "id");
  string(w, header.id);
  key(w, "generatedAt");
  string(w, format_instant(header.generated_at_ms));
  key(w, "period");
  w.StartObject();
  key(w, "start");
  if (report.has_period())
    string(w, format_instant(report.period.start_ms));
  else
    w.Null();  // no period asked, no records
  key(w, "end");
  if (report.has_period())
    string(w, format_instant(report.period.end_ms));
  else
    w.Null();
  w.EndObject();
  key(w, "policy");
  w.StartObject();
  key(w, "id");
  optional_string(w, report.policy_id ? report.policy_id : report.options.filter.policy);
  key(w, "name");
  optional_string(w, report.policy_name);
  w.EndObject();
  key(w, "summary");
  summary(w, report.summary);
  key(w, "providerBreakdown");
  breakdown_object(w, report.providers, false);
  key(w, "blockedRequests");
  blocked_requests(w, report.blocked);
  key(w, "complianceStatus");
  string(w, compliance_status(report));
  key(w, "timeline");
  timeline(w, report);
  key(w, "reasonCodes");
  w.StartObject();
  for (const auto& [code, count] : report.reason_codes) {
    key(w, code);
    w.Uint64(count);
  }
  w.EndObject();
  key(w, "violationReasons");
  w.StartObject();
  for (const auto& [reason, count] : report.violation_reasons) {
    key(w, reason);
    w.Uint64(count);
  }
  w.EndObject();
  key(w, "rolloutModes");
  breakdown_object(w, report.rollout_modes, true);
  if (report.options.group_by != GroupBy::kNone) {
    key(w, "groups");
    w.StartObject();
    key(w, "by");
    string(w, to_string(report.options.group_by));
    key(w, "items");
    breakdown_object(w, report.groups, true);
    w.EndObject();
  }
  key(w, "metadata");
  metadata(w, report, header);
  w.EndObject();
  w.EndObject();
  out << "\n";
}

}  // namespace auditrelay::report
