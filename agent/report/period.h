// The time range a report covers and the calendar buckets of its timeline, all in UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace auditrelay::report {

// [start_ms, end_ms): milliseconds since the Unix epoch, the end excluded.
struct TimeRange {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  bool contains(int64_t ms) const { return ms >= start_ms && ms < end_ms; }
};

enum class Granularity { kDaily, kMonthly };
bool parse_granularity(std::string_view text, Granularity& out);
std::string_view to_string(Granularity granularity);

// `--period`: a month (`2025-01`) or a day (`2025-01-10`). Throws ReportError.
TimeRange parse_period(std::string_view text);

// `--start` / `--end`: a day (`2025-01-10`) or an RFC 3339 instant. A day given as the end
// includes that whole day; an instant given as the end is excluded. Throws ReportError.
TimeRange parse_start_end(std::string_view start, std::string_view end);

// The start of the day or month holding `ms`, and the start of the next one.
int64_t bucket_start(int64_t ms, Granularity granularity);
int64_t next_bucket(int64_t bucket_start_ms, Granularity granularity);

// `2025-01-10T00:00:00.000Z`.
std::string format_instant(int64_t ms);
// The bucket's label: `2025-01-10` (daily) or `2025-01` (monthly).
std::string bucket_label(int64_t bucket_start_ms, Granularity granularity);

}  // namespace auditrelay::report
