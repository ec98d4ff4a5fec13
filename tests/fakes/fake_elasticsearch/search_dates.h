// Dates as Elasticsearch reads a date field (strict_date_optional_time||epoch_millis) and as
// its date_histogram rounds them, in UTC only.
// https://www.elastic.co/guide/en/elasticsearch/reference/current/mapping-date-format.html
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace auditrelay::fakes::es {

// Milliseconds since the epoch of a strict_date_optional_time text ("2025-01-10",
// "2025-01-10T12:00:00.123Z", "...+02:00") or, failing that, of an epoch_millis one.
// `round_up` fills missing components with their last instant (T23:59:59.999), as range
// queries do for `gt` and `lte` ("Missing date components" in the range query docs).
std::optional<int64_t> parse_date(std::string_view text, bool round_up = false);
// A date field's value: a string as above, or a number of epoch milliseconds.
std::optional<int64_t> date_value(const rapidjson::Value& value, bool round_up = false);

// "2025-01-10T00:00:00.000Z" (strict_date_optional_time), or `format`: a named format
// (strict_date_optional_time, date_optional_time, epoch_millis, strict_date, date) or a
// pattern of yyyy MM dd HH mm ss SSS and 'quoted' literals.
std::string format_date(int64_t ms, std::string_view format = {});

// A date_histogram interval: calendar (minute, hour, day, week from Monday, month, quarter,
// year) or fixed (a multiple of ms, s, m, h, d).
class DateInterval {
 public:
  static std::optional<DateInterval> calendar(std::string_view text);
  static std::optional<DateInterval> fixed(std::string_view text);

  int64_t round_down(int64_t ms) const;  // the key of the bucket holding ms
  int64_t next(int64_t key) const;       // the key of the bucket after it

 private:
  enum class Unit { kFixed, kWeek, kMonth, kQuarter, kYear };
  DateInterval(Unit unit, int64_t fixed_ms) : unit_(unit), fixed_ms_(fixed_ms) {}
  Unit unit_;
  int64_t fixed_ms_;  // kFixed (calendar minute, hour and day are fixed in UTC)
};

}  // namespace auditrelay::fakes::es
