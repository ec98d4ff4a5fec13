#include "agent/report/report.h"

#include <algorithm>

#include "agent/report/report_error.h"

namespace auditrelay::report {
namespace {

constexpr int kThresholdDecimals = 6;
// Buckets a timeline may have: 27 years of days, or over 800 years of months.
constexpr size_t kMaxTimelineBuckets = 10'000;

// Products of counts and scales overflow 64 bits past about 10^11 requests.
__extension__ typedef unsigned __int128 Wide;

std::string too_many_buckets(const Report& report) {
  const bool daily = report.options.granularity == Granularity::kDaily;
  return "the period from " + format_instant(report.period.start_ms) + " to " +
         format_instant(report.period.end_ms) + " has more than " +
         std::to_string(kMaxTimelineBuckets) + (daily ? " days" : " months") +
         ": give a shorter period" + (daily ? ", or --granularity monthly" : "");
}

}  // namespace

uint64_t parse_threshold(std::string_view text) {
  auto bad = [&] {
    return ReportError("--compliant-threshold '" + std::string(text) +
                       "' is not a percentage from 0 to 100 (at most six decimals)");
  };
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 3 || (whole.size() > 1 && whole[0] == '0') ||
      fraction.size() > kThresholdDecimals || (dot != std::string_view::npos && fraction.empty()))
    throw bad();
  uint64_t value = 0;
  for (size_t i = 0; i < whole.size() + kThresholdDecimals; ++i) {
    const char c = i < whole.size()                     ? whole[i]
                   : i - whole.size() < fraction.size() ? fraction[i - whole.size()]
                                                        : '0';
    if (c < '0' || c > '9') throw bad();
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > 100'000'000) throw bad();
  return value;
}

std::string format_threshold(uint64_t millionths) {
  std::string text = std::to_string(millionths / 1'000'000);
  if (uint64_t fraction = millionths % 1'000'000; fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, kThresholdDecimals - digits.size(), '0');
    digits.erase(digits.find_last_not_of('0') + 1);
    text += "." + digits;
  }
  return text;
}

bool parse_group_by(std::string_view text, GroupBy& out) {
  if (text == "provider")
    out = GroupBy::kProvider;
  else if (text == "policy")
    out = GroupBy::kPolicy;
  else if (text == "decision")
    out = GroupBy::kDecision;
  else
    return false;
  return true;
}

std::string_view to_string(GroupBy group_by) {
  switch (group_by) {
    case GroupBy::kProvider:
      return "provider";
    case GroupBy::kPolicy:
      return "policy";
    case GroupBy::kDecision:
      return "decision";
    case GroupBy::kNone:
      break;
  }
  return "none";
}

bool Filter::matches(const ReportRecord& record) const {
  if (period && !period->contains(record.timestamp_ms)) return false;
  if (policy && record.policy_id != *policy && record.policy_name != *policy) return false;
  if (provider && record.provider.value_or(kNoneKey) != *provider) return false;
  if (allowed && (record.outcome != Outcome::kBlocked) != *allowed) return false;
  return true;
}

uint64_t Counts::compliance_hundredths() const {
  if (requests == 0) return 10'000;
  return static_cast<uint64_t>(Wide(requests - blocked) * 10'000 / requests);
}

BlockedRequest BlockedRequest::from(const ReportRecord& record) {
  BlockedRequest b;
  b.timestamp_ms = record.timestamp_ms;
  b.timestamp = record.timestamp;
  b.id = record.id;
  if (!record.request_id.empty()) b.request_id = std::string(record.request_id);
  b.model = record.model;
  if (record.provider) b.provider = std::string(*record.provider);
  b.policy_id = record.policy_id;
  b.reasons.assign(record.violations.begin(), record.violations.end());
  if (b.reasons.empty() && !record.reason_code.empty()) b.reasons.emplace_back(record.reason_code);
  if (!record.ip.empty()) b.ip = std::string(record.ip);
  return b;
}

bool Report::compliant() const {
  // requests not blocked / requests >= threshold / 100, in integers: exact at any count.
  if (summary.requests == 0) return true;
  return Wide(summary.requests - summary.blocked) * 100'000'000 >=
         Wide(options.compliant_threshold) * summary.requests;
}

void sort_breakdown(Breakdown& breakdown) {
  std::sort(breakdown.begin(), breakdown.end(), [](const auto& a, const auto& b) {
    return a.second.requests != b.second.requests ? a.second.requests > b.second.requests
                                                  : a.first < b.first;
  });
}

void sort_counts(std::vector<std::pair<std::string, uint64_t>>& counts, size_t keep) {
  std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (counts.size() > keep) counts.resize(keep);
}

void complete_timeline(Report& report, std::map<int64_t, Counts> buckets) {
  const Granularity granularity = report.options.granularity;
  if (!report.period_given) {
    if (buckets.empty()) return;
    report.period.start_ms = buckets.begin()->first;
    report.period.end_ms = next_bucket(buckets.rbegin()->first, granularity);
  }
  report.timeline.clear();
  for (int64_t at = bucket_start(report.period.start_ms, granularity); at < report.period.end_ms;
       at = next_bucket(at, granularity)) {
    if (report.timeline.size() == kMaxTimelineBuckets) {
      if (report.period_given) throw ReportError(too_many_buckets(report));
      // Records far apart, no period asked: the buckets that have some, not millions empty.
      report.timeline.assign(buckets.begin(), buckets.end());
      return;
    }
    auto found = buckets.find(at);
    report.timeline.emplace_back(at, found == buckets.end() ? Counts{} : found->second);
  }
}

void check_timeline_size(const ReportOptions& options) {
  if (!options.filter.period) return;
  Report empty;
  empty.options.granularity = options.granularity;
  empty.period = *options.filter.period;
  empty.period_given = true;
  complete_timeline(empty, {});
}

}  // namespace auditrelay::report
