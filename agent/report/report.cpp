#include <algorithm>
#include <charconv>

#include "agent/report/aggregator.h"
#include "agent/report/report_error.h"

namespace auditrelay::report {
namespace {

constexpr int kThresholdDecimals = 6;
// Buckets a timeline may have: 27 years of days, or over 800 years of months. Records spread
// further (a timestamp in year 0001 among this year's) would make a report of millions of
// empty days.
constexpr size_t kMaxTimelineBuckets = 10'000;

// Products of counts and scales overflow 64 bits past about 10^11 requests.
__extension__ typedef unsigned __int128 Wide;

// The threshold in millionths of a per cent, or nullopt when `text` is not a number from 0 to
// 100 with at most six decimals.
std::optional<uint64_t> threshold_millionths(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 3 || fraction.size() > kThresholdDecimals ||
      (dot != std::string_view::npos && fraction.empty()))
    return std::nullopt;
  uint64_t value = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  for (int i = 0; i < kThresholdDecimals; ++i) {
    char c = i < static_cast<int>(fraction.size()) ? fraction[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > 100'000'000) return std::nullopt;
  return value;
}

}  // namespace

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
  if (provider && record.provider.value_or(kNoProvider) != *provider) return false;
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
  const uint64_t threshold = *threshold_millionths(options.compliant_threshold);
  if (summary.requests == 0) return true;
  return Wide(summary.requests - summary.blocked) * 100'000'000 >=
         Wide(threshold) * summary.requests;
}

void check_threshold(const std::string& text) {
  if (!threshold_millionths(text)) {
    throw ReportError("--compliant-threshold '" + text +
                      "' is not a percentage from 0 to 100 (at most six decimals)");
  }
}

void sort_breakdown(Breakdown& breakdown) {
  std::sort(breakdown.begin(), breakdown.end(), [](const auto& a, const auto& b) {
    return a.second.requests != b.second.requests ? a.second.requests > b.second.requests
                                                  : a.first < b.first;
  });
}

void complete_timeline(Report& report, std::map<int64_t, Counts> buckets) {
  const Granularity granularity = report.options.granularity;
  if (!report.period_given) {
    if (buckets.empty()) {
      report.period = {};
      return;
    }
    report.period.start_ms = buckets.begin()->first;
    report.period.end_ms = next_bucket(buckets.rbegin()->first, granularity);
  }
  report.timeline.clear();
  for (int64_t at = bucket_start(report.period.start_ms, granularity); at < report.period.end_ms;
       at = next_bucket(at, granularity)) {
    if (report.timeline.size() == kMaxTimelineBuckets) {
      throw ReportError("the period from " + format_instant(report.period.start_ms) + " to " +
                        format_instant(report.period.end_ms) + " has more than " +
                        std::to_string(kMaxTimelineBuckets) + " " +
                        (granularity == Granularity::kDaily ? "days" : "months") +
                        ": give a shorter --period or --start/--end" +
                        (granularity == Granularity::kDaily ? ", or --granularity monthly" : ""));
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

Aggregator::Aggregator(ReportOptions options) {
  report_.options = std::move(options);
  if (report_.options.filter.period) {
    report_.period = *report_.options.filter.period;
    report_.period_given = true;
  }
}

Counts& Aggregator::at(CountsBy& map, std::string_view key) {
  auto found = map.find(key);
  if (found != map.end()) return found->second;
  return map.emplace(std::string(key), Counts{}).first->second;
}

void Aggregator::add(const ReportRecord& record) {
  const Outcome outcome = record.outcome;
  report_.summary.add(outcome);
  timeline_[bucket_start(record.timestamp_ms, report_.options.granularity)].add(outcome);
  at(providers_, record.provider.value_or(kNoProvider)).add(outcome);
  at(rollout_modes_, record.rollout_mode.empty() ? kNoProvider : record.rollout_mode).add(outcome);
  if (!record.reason_code.empty()) at(reason_codes_, record.reason_code).add(outcome);
  switch (report_.options.group_by) {
    case GroupBy::kProvider:
      at(groups_, record.provider.value_or(kNoProvider)).add(outcome);
      break;
    case GroupBy::kPolicy:
      at(groups_, record.policy_id).add(outcome);
      break;
    case GroupBy::kDecision:
      at(groups_, record.decision).add(outcome);
      break;
    case GroupBy::kNone:
      break;
  }
  if (outcome == Outcome::kBlocked) keep_if_early(record);
  note_policy(record);
}

void Aggregator::keep_if_early(const ReportRecord& record) {
  const size_t cap = report_.options.max_blocked;
  if (cap == 0) return;
  if (blocked_.size() == cap) {
    const BlockedRequest& latest = blocked_.top();
    bool earlier = record.timestamp_ms != latest.timestamp_ms
                       ? record.timestamp_ms < latest.timestamp_ms
                       : record.id < latest.id;
    if (!earlier) return;
    blocked_.pop();
  }
  blocked_.push(BlockedRequest::from(record));
}

void Aggregator::note_policy(const ReportRecord& record) {
  if (distinct_policies_ == 0) {
    report_.policy_id = std::string(record.policy_id);
    if (!record.policy_name.empty()) report_.policy_name = std::string(record.policy_name);
    distinct_policies_ = 1;
  } else if (distinct_policies_ == 1 && record.policy_id != *report_.policy_id) {
    distinct_policies_ = 2;
  } else if (distinct_policies_ == 1 && !report_.policy_name && !record.policy_name.empty()) {
    report_.policy_name = std::string(record.policy_name);
  }
}

void Aggregator::count_skipped(const std::string& reason) {
  ++report_.records_skipped;
  ++report_.skipped_by_reason[reason];
}

Breakdown Aggregator::sorted(CountsBy& map) {
  Breakdown breakdown(std::make_move_iterator(map.begin()), std::make_move_iterator(map.end()));
  sort_breakdown(breakdown);
  return breakdown;
}

Report Aggregator::finish(std::string source, std::vector<std::string> inputs) {
  Report report = std::move(report_);
  report.source = std::move(source);
  report.inputs = std::move(inputs);
  report.providers = sorted(providers_);
  report.groups = sorted(groups_);
  report.rollout_modes = sorted(rollout_modes_);
  for (const auto& [code, counts] : sorted(reason_codes_))
    report.reason_codes.emplace_back(code, counts.requests);
  if (distinct_policies_ != 1) {
    report.policy_id.reset();
    report.policy_name.reset();
  }
  report.blocked.reserve(blocked_.size());
  for (; !blocked_.empty(); blocked_.pop())
    report.blocked.push_back(blocked_.top());
  std::reverse(report.blocked.begin(), report.blocked.end());
  complete_timeline(report, std::move(timeline_));
  return report;
}

}  // namespace auditrelay::report
