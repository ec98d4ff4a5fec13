#include "agent/report/aggregator.h"

#include <algorithm>

namespace auditrelay::report {

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
  at(providers_, record.provider.value_or(kNoneKey)).add(outcome);
  at(rollout_modes_, record.rollout_mode.empty() ? kNoneKey : record.rollout_mode).add(outcome);
  if (!record.reason_code.empty()) at(reason_codes_, record.reason_code).add(outcome);
  for (std::string_view reason : record.violations) {
    auto found = reasons_.find(reason);
    if (found != reasons_.end())
      ++found->second;
    else if (reasons_.size() < kMaxDistinctReasons)
      reasons_.emplace(std::string(reason), 1);
    else
      ++other_reasons_;
  }
  switch (report_.options.group_by) {
    case GroupBy::kProvider:
      at(groups_, record.provider.value_or(kNoneKey)).add(outcome);
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
  report.violation_reasons.assign(reasons_.begin(), reasons_.end());
  if (other_reasons_ > 0) report.violation_reasons.emplace_back(kOtherReasons, other_reasons_);
  sort_counts(report.violation_reasons, kTopReasons);
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
