// Builds a Report from records one at a time, in memory that depends on how many distinct
// days, providers, policies and reason codes there are, never on how many records.
#pragma once

#include <map>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/report/report.h"

namespace auditrelay::report {

class Aggregator {
 public:
  explicit Aggregator(ReportOptions options);

  // Counts a record that matched the filter.
  void add(const ReportRecord& record);
  // Counts a line that was read (matched or not) and one that was skipped, and why.
  void count_read() { ++report_.records_read; }
  void count_skipped(const std::string& reason);

  // The report; the aggregator is spent.
  Report finish(std::string source, std::vector<std::string> inputs);

 private:
  // A map from short strings that looks up a string_view without making a string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using CountsBy = std::unordered_map<std::string, Counts, Hash, std::equal_to<>>;
  static Counts& at(CountsBy& map, std::string_view key);
  static Breakdown sorted(CountsBy& map);

  void keep_if_early(const ReportRecord& record);
  void note_policy(const ReportRecord& record);

  Report report_;
  std::map<int64_t, Counts> timeline_;
  CountsBy providers_, groups_, rollout_modes_, reason_codes_;
  std::unordered_map<std::string, uint64_t, Hash, std::equal_to<>> reasons_;  // violations
  uint64_t other_reasons_ = 0;  // past kMaxDistinctReasons
  // The earliest blocked requests, the latest of them on top, so that one earlier than it
  // takes its place.
  std::priority_queue<BlockedRequest> blocked_;
  int distinct_policies_ = 0;  // 0, 1, or 2 meaning "more than one"
};

}  // namespace auditrelay::report
