#include "agent/normalize/timestamp.h"

#include <cstring>

namespace auditrelay::normalize {
namespace {

constexpr int64_t kMillisPerSecond = 1000;
constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMillisPerDay = kSecondsPerDay * kMillisPerSecond;
constexpr size_t kFractionStart = 19;  // index just after "YYYY-MM-DDTHH:MM:SS"
constexpr size_t kMaxFractionDigits = 9;

// Days since 1970-01-01 of a proleptic Gregorian date; Howard Hinnant's days_from_civil,
// exact for every year: https://howardhinnant.github.io/date_algorithms.html#days_from_civil
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

// The inverse, civil_from_days, from the same page.
constexpr CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

// The instants we can print with a four-digit year.
constexpr int64_t kMinMillis = days_from_civil(0, 1, 1) * kMillisPerDay;
constexpr int64_t kEndMillis = days_from_civil(10000, 1, 1) * kMillisPerDay;

bool is_leap_year(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

// Reads exactly `count` ASCII digits at `pos`.
bool read_digits(std::string_view s, size_t pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  out = value;
  return true;
}

bool read_separator(std::string_view s, size_t pos, char expected) {
  return pos < s.size() && s[pos] == expected;
}

struct Fields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool read_date_time(std::string_view s, Fields& f) {
  return read_digits(s, 0, 4, f.year) && read_separator(s, 4, '-') &&
         read_digits(s, 5, 2, f.month) && read_separator(s, 7, '-') &&
         read_digits(s, 8, 2, f.day) && s.size() > 10 && (s[10] == 'T' || s[10] == 't') &&
         read_digits(s, 11, 2, f.hour) && read_separator(s, 13, ':') &&
         read_digits(s, 14, 2, f.minute) && read_separator(s, 16, ':') &&
         read_digits(s, 17, 2, f.second);
}

bool fields_in_range(const Fields& f) {
  return f.month >= 1 && f.month <= 12 && f.day >= 1 && f.day <= days_in_month(f.year, f.month) &&
         f.hour <= 23 && f.minute <= 59 && f.second <= 59;
}

// Reads an optional ".digits" at `pos`; advances `pos` and yields the milliseconds (the digits
// beyond the third are dropped: truncation, never rounding into the next second).
bool read_fraction(std::string_view s, size_t& pos, int& millis) {
  millis = 0;
  if (pos >= s.size() || s[pos] != '.') return true;
  size_t digits = 0;
  for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++digits) {
    if (digits < 3) millis = millis * 10 + (s[pos] - '0');
  }
  if (digits == 0 || digits > kMaxFractionDigits) return false;
  for (size_t i = digits; i < 3; ++i)
    millis *= 10;
  return true;
}

// Reads the zone designator, which must end the text; yields the offset east of UTC.
bool read_offset(std::string_view s, size_t pos, int& offset_seconds) {
  offset_seconds = 0;
  if (pos + 1 == s.size() && (s[pos] == 'Z' || s[pos] == 'z')) return true;
  if (pos + 6 != s.size() || (s[pos] != '+' && s[pos] != '-')) return false;
  int hours = 0;
  int minutes = 0;
  if (!read_digits(s, pos + 1, 2, hours) || !read_separator(s, pos + 3, ':') ||
      !read_digits(s, pos + 4, 2, minutes) || hours > 23 || minutes > 59) {
    return false;
  }
  offset_seconds = (hours * 3600 + minutes * 60) * (s[pos] == '-' ? -1 : 1);
  return true;
}

void put_digits(char* out, int64_t value, int count) {
  for (int i = count - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::optional<int64_t> parse_rfc3339_millis(std::string_view text) {
  Fields f;
  if (!read_date_time(text, f) || !fields_in_range(f)) return std::nullopt;
  size_t pos = kFractionStart;
  int millis = 0;
  int offset_seconds = 0;
  if (!read_fraction(text, pos, millis) || !read_offset(text, pos, offset_seconds)) {
    return std::nullopt;
  }
  const int64_t days =
      days_from_civil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day));
  const int64_t seconds =
      days * kSecondsPerDay + f.hour * 3600 + f.minute * 60 + f.second - offset_seconds;
  const int64_t result = seconds * kMillisPerSecond + millis;
  // An offset can carry 0000-01-01T00:30+01:00 into year -1, which has no RFC 3339 form.
  if (result < kMinMillis || result >= kEndMillis) return std::nullopt;
  return result;
}

UtcTimestamp format_utc_millis(int64_t millis) {
  // Floor division: instants before 1970 belong to the previous day.
  int64_t days = millis / kMillisPerDay;
  int64_t of_day = millis % kMillisPerDay;
  if (of_day < 0) {
    of_day += kMillisPerDay;
    --days;
  }
  const CivilDate date = civil_from_days(days);
  UtcTimestamp out{};
  char* p = out.text;
  put_digits(p, date.year, 4);
  p[4] = '-';
  put_digits(p + 5, date.month, 2);
  p[7] = '-';
  put_digits(p + 8, date.day, 2);
  p[10] = 'T';
  put_digits(p + 11, of_day / 3600000, 2);
  p[13] = ':';
  put_digits(p + 14, of_day / 60000 % 60, 2);
  p[16] = ':';
  put_digits(p + 17, of_day / 1000 % 60, 2);
  p[19] = '.';
  put_digits(p + 20, of_day % 1000, 3);
  p[23] = 'Z';
  return out;
}

std::optional<UtcTimestamp> normalize_timestamp(std::string_view text) {
  const std::optional<int64_t> millis = parse_rfc3339_millis(text);
  if (!millis) return std::nullopt;
  // Already in the output's form (upper-case 'T', three fraction digits, 'Z'), as most
  // producers write it: formatting the parsed instant would give the same bytes.
  if (text.size() == UtcTimestamp::kLength && text[10] == 'T' && text[19] == '.' &&
      text[23] == 'Z') {
    UtcTimestamp same;
    std::memcpy(same.text, text.data(), UtcTimestamp::kLength);
    return same;
  }
  return format_utc_millis(*millis);
}

}  // namespace auditrelay::normalize
