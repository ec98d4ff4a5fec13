#include "agent/report/period.h"

#include <chrono>
#include <cstdio>

#include "agent/normalize/timestamp.h"
#include "agent/report/report_error.h"

namespace auditrelay::report {
namespace {

namespace chr = std::chrono;
constexpr int64_t kMillisPerDay = 86'400'000;

int64_t to_millis(chr::sys_days day) {
  return static_cast<int64_t>(day.time_since_epoch().count()) * kMillisPerDay;
}

chr::year_month_day to_date(int64_t ms) {
  int64_t days = ms / kMillisPerDay - (ms % kMillisPerDay < 0 ? 1 : 0);
  return chr::year_month_day{chr::sys_days{chr::days{days}}};
}

// Exactly `count` digits of `text` at `at`, or -1.
int digits(std::string_view text, size_t at, size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// `YYYY-MM` → the month; nullopt when `text` is not that.
std::optional<chr::year_month> parse_month(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  int y = digits(text, 0, 4), m = digits(text, 5, 2);
  if (y < 0 || m < 1 || m > 12) return std::nullopt;
  return chr::year{y} / chr::month{static_cast<unsigned>(m)};
}

// `YYYY-MM-DD` → the day; nullopt when `text` is not that, or not a real date.
std::optional<chr::sys_days> parse_day(std::string_view text) {
  if (text.size() != 10 || text[7] != '-') return std::nullopt;
  auto month = parse_month(text.substr(0, 7));
  int d = digits(text, 8, 2);
  if (!month || d < 1) return std::nullopt;
  chr::year_month_day date = *month / chr::day{static_cast<unsigned>(d)};
  if (!date.ok()) return std::nullopt;
  return chr::sys_days{date};
}

[[noreturn]] void bad_date(std::string_view option, std::string_view text,
                           std::string_view expected) {
  throw ReportError(std::string(option) + " '" + std::string(text) + "' is not " +
                    std::string(expected));
}

// A bound given as a day or an instant; a day as the end means its end.
int64_t parse_bound(std::string_view option, std::string_view text, bool is_end) {
  if (auto day = parse_day(text)) return to_millis(*day + chr::days{is_end ? 1 : 0});
  if (auto ms = normalize::parse_rfc3339_millis(text)) return *ms;
  bad_date(option, text, "a date (2025-01-10) or an RFC 3339 time (2025-01-10T14:30:00Z)");
}

}  // namespace

bool parse_granularity(std::string_view text, Granularity& out) {
  if (text == "daily")
    out = Granularity::kDaily;
  else if (text == "monthly")
    out = Granularity::kMonthly;
  else
    return false;
  return true;
}

std::string_view to_string(Granularity granularity) {
  return granularity == Granularity::kDaily ? "daily" : "monthly";
}

TimeRange parse_period(std::string_view text) {
  if (auto month = parse_month(text)) {
    return {to_millis(chr::sys_days{*month / chr::day{1}}),
            to_millis(chr::sys_days{(*month + chr::months{1}) / chr::day{1}})};
  }
  if (auto day = parse_day(text)) return {to_millis(*day), to_millis(*day + chr::days{1})};
  bad_date("--period", text, "a month (2025-01) or a day (2025-01-10)");
}

TimeRange parse_start_end(std::string_view start, std::string_view end) {
  TimeRange range{parse_bound("--start", start, false), parse_bound("--end", end, true)};
  if (range.end_ms <= range.start_ms) {
    throw ReportError("--end '" + std::string(end) + "' is not after --start '" +
                      std::string(start) + "'");
  }
  return range;
}

int64_t bucket_start(int64_t ms, Granularity granularity) {
  chr::year_month_day date = to_date(ms);
  if (granularity == Granularity::kMonthly) date = date.year() / date.month() / chr::day{1};
  return to_millis(chr::sys_days{date});
}

int64_t next_bucket(int64_t bucket_start_ms, Granularity granularity) {
  if (granularity == Granularity::kDaily) return bucket_start_ms + kMillisPerDay;
  chr::year_month_day date = to_date(bucket_start_ms);
  return to_millis(chr::sys_days{(date.year() / date.month() + chr::months{1}) / chr::day{1}});
}

std::string format_instant(int64_t ms) {
  return std::string(normalize::format_utc_millis(ms).view());
}

std::string bucket_label(int64_t bucket_start_ms, Granularity granularity) {
  std::string text = format_instant(bucket_start_ms);
  return text.substr(0, granularity == Granularity::kDaily ? 10 : 7);
}

}  // namespace auditrelay::report
