// A compliance report: what was asked, and the figures, whichever source they came from
// (files read here, or one aggregation query to Elasticsearch). The renderers read only this.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/report/period.h"
#include "agent/report/report_record.h"

namespace auditrelay::report {

// The key under which requests without a value are counted: no provider (blocked before
// routing, or a policy_gateway record, which names none), no rollout mode or enforcement. Also
// the Elasticsearch terms aggregations' `missing`, and `--provider none`.
inline constexpr std::string_view kNoneKey = "none";

// Distinct violation reasons counted at most: they are free text, and memory must not grow with
// the records. Reasons first seen after that many are counted under kOtherReasons.
inline constexpr size_t kMaxDistinctReasons = 10'000;
inline constexpr std::string_view kOtherReasons = "(other reasons)";
// Violation reasons a report lists: the most frequent.
inline constexpr size_t kTopReasons = 20;

// `--compliant-threshold`: a percentage from 0 to 100 with at most six decimals, in millionths
// of a per cent (99.9 → 99,900,000), so that the comparison is exact. Throws ReportError.
uint64_t parse_threshold(std::string_view text);
// 99,900,000 → "99.9".
std::string format_threshold(uint64_t millionths);

enum class GroupBy { kNone, kProvider, kPolicy, kDecision };
bool parse_group_by(std::string_view text, GroupBy& out);
std::string_view to_string(GroupBy group_by);

// Which records count. Every criterion is optional.
struct Filter {
  std::optional<TimeRange> period;
  std::optional<std::string> policy;    // a policy id or name
  std::optional<std::string> provider;  // kNoneKey: requests without one
  std::optional<bool> allowed;          // export only: not blocked (true) or blocked (false)

  bool matches(const ReportRecord& record) const;
};

struct ReportOptions {
  Filter filter;
  Granularity granularity = Granularity::kDaily;
  GroupBy group_by = GroupBy::kNone;
  uint64_t compliant_threshold = 99'900'000;  // millionths of a per cent
  size_t max_blocked = 1000;
};

struct Counts {
  uint64_t requests = 0;
  uint64_t allowed = 0;  // not blocked; warned requests included
  uint64_t blocked = 0;
  uint64_t warned = 0;

  void add(Outcome outcome) {
    ++requests;
    if (outcome == Outcome::kBlocked)
      ++blocked;
    else
      ++allowed;
    if (outcome == Outcome::kWarned) ++warned;
  }
  // Per cent not blocked, rounded down to hundredths (never overstates compliance): 9999 is
  // 99.99 %. 10000 when there were no requests.
  uint64_t compliance_hundredths() const;
};

struct BlockedRequest {
  int64_t timestamp_ms = 0;
  std::string timestamp;
  std::string id;
  std::optional<std::string> request_id;
  std::string model;
  std::optional<std::string> provider;
  std::string policy_id;
  std::vector<std::string> reasons;
  std::optional<std::string> ip;

  static BlockedRequest from(const ReportRecord& record);
  // Earliest first; the record id breaks ties, so the order never depends on the input's.
  bool operator<(const BlockedRequest& other) const {
    return timestamp_ms != other.timestamp_ms ? timestamp_ms < other.timestamp_ms : id < other.id;
  }
};

using Breakdown = std::vector<std::pair<std::string, Counts>>;  // most requests first

struct Report {
  ReportOptions options;
  std::string source;               // "files" or "elasticsearch"
  std::vector<std::string> inputs;  // the files, or the cluster and target
  TimeRange period;                 // as asked, else the buckets the records fall in
  bool period_given = false;
  bool has_period() const { return period_given || !timeline.empty(); }
  std::optional<std::string> policy_id;  // the one policy the matched records have, if one
  std::optional<std::string> policy_name;

  Counts summary;
  Breakdown providers;
  Breakdown groups;         // with options.group_by
  Breakdown rollout_modes;  // policy.rollout_mode, else policy.enforcement; kNoneKey if neither
  std::vector<std::pair<std::string, uint64_t>> reason_codes;       // most frequent first
  std::vector<std::pair<std::string, uint64_t>> violation_reasons;  // the same, top kTopReasons
  std::vector<std::pair<int64_t, Counts>> timeline;  // every bucket of the period, in order
  std::vector<BlockedRequest> blocked;               // earliest first, at most max_blocked

  uint64_t records_read = 0;  // lines read (files), documents searched (Elasticsearch)
  uint64_t records_skipped = 0;
  std::map<std::string, uint64_t> skipped_by_reason;

  bool compliant() const;
  bool blocked_truncated() const { return summary.blocked > blocked.size(); }
};

// Sorts a breakdown: most requests first, then by key.
void sort_breakdown(Breakdown& breakdown);
// Sorts counts the same way and keeps the first `keep`.
void sort_counts(std::vector<std::pair<std::string, uint64_t>>& counts, size_t keep);
// Sets report.period when none was asked (the buckets from the first record's to the last's)
// and gives the timeline every bucket of the period, empty ones included. Throws ReportError
// when an asked period has more than 10,000 buckets; records spread further than that without
// a period asked (a stray timestamp of another century) keep only the buckets that have some.
void complete_timeline(Report& report, std::map<int64_t, Counts> buckets);
// The same check before anything is read: throws ReportError when the period asked for has too
// many buckets.
void check_timeline_size(const ReportOptions& options);

}  // namespace auditrelay::report
