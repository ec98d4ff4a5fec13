#include "tests/fakes/fake_elasticsearch/search_dates.h"

#include <cctype>
#include <charconv>
#include <chrono>

namespace auditrelay::fakes::es {
namespace {

constexpr int64_t kDayMs = 86'400'000;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Days since 1970-01-01 of a date, and back, with std::chrono's calendar. A day past the
// month's end rolls over (sys_days adds it to the first of the month).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  namespace chr = std::chrono;
  const chr::sys_days first{chr::year{static_cast<int>(y)} / chr::month{m} / chr::day{1}};
  return (first + chr::days{static_cast<int64_t>(d) - 1}).time_since_epoch().count();
}

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

Civil civil_from_days(int64_t z) {
  namespace chr = std::chrono;
  const chr::year_month_day date{chr::sys_days{chr::days{z}}};
  return {static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day())};
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits.
bool digits(std::string_view& text, size_t n, int* value) {
  if (text.size() < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    v = v * 10 + (text[i] - '0');
  }
  *value = v;
  text.remove_prefix(n);
  return true;
}

bool take(std::string_view& text, char c) {
  if (text.empty() || text.front() != c) return false;
  text.remove_prefix(1);
  return true;
}

// "Z", "+HH:mm", "+HHmm" or "+HH" (the offset east of UTC, in minutes).
bool zone(std::string_view& text, int* offset_minutes) {
  *offset_minutes = 0;
  if (text.empty() || take(text, 'Z')) return true;
  int sign = text.front() == '-' ? -1 : 1;
  if (!take(text, '+') && !take(text, '-')) return false;
  int hours = 0, minutes = 0;
  if (!digits(text, 2, &hours)) return false;
  take(text, ':');
  if (!text.empty() && !digits(text, 2, &minutes)) return false;
  *offset_minutes = sign * (hours * 60 + minutes);
  return hours < 24 && minutes < 60;
}

std::optional<int64_t> parse_iso(std::string_view text, bool round_up) {
  int year = 0, month = 1, day = 1;
  int hour = round_up ? 23 : 0, minute = round_up ? 59 : 0, second = round_up ? 59 : 0;
  int millis = round_up ? 999 : 0, offset = 0;
  if (!digits(text, 4, &year)) return std::nullopt;
  bool time_allowed = false;
  if (take(text, '-')) {
    if (!digits(text, 2, &month)) return std::nullopt;
    if (take(text, '-')) {
      if (!digits(text, 2, &day)) return std::nullopt;
      time_allowed = true;
    }
  }
  if (time_allowed && take(text, 'T')) {
    if (!digits(text, 2, &hour)) return std::nullopt;
    if (take(text, ':')) {
      if (!digits(text, 2, &minute)) return std::nullopt;
      if (take(text, ':')) {
        if (!digits(text, 2, &second)) return std::nullopt;
        if (take(text, '.') || take(text, ',')) {
          int fraction = 0, scale = 100;
          size_t n = 0;
          while (n < text.size() && std::isdigit(static_cast<unsigned char>(text[n]))) {
            fraction += (text[n] - '0') * scale;
            scale /= 10;
            ++n;
          }
          if (n == 0 || n > 9) return std::nullopt;
          millis = fraction;
          text.remove_prefix(n);
        }
      }
    }
    if (!zone(text, &offset)) return std::nullopt;
  }
  if (!text.empty()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || static_cast<unsigned>(day) > days_in_month(year, month))
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset * 60;
  return seconds * 1000 + millis;
}

void append_number(std::string& out, int64_t value, int width) {
  std::string digits_text = std::to_string(value < 0 ? -value : value);
  if (value < 0) out.push_back('-');
  for (int i = static_cast<int>(digits_text.size()); i < width; ++i)
    out.push_back('0');
  out += digits_text;
}

// A pattern of the java.time letters the fake knows; other characters are copied.
std::string format_pattern(int64_t ms, std::string_view pattern) {
  int64_t days = floor_div(ms, kDayMs);
  int64_t in_day = ms - days * kDayMs;
  Civil civil = civil_from_days(days);
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    size_t run = 1;
    while (i + run < pattern.size() && pattern[i + run] == c)
      ++run;
    if (c == '\'') {
      size_t close = pattern.find('\'', i + 1);
      if (close == std::string_view::npos) close = pattern.size();
      out.append(pattern.substr(i + 1, close - i - 1));
      i = close + 1;
      continue;
    }
    int width = static_cast<int>(run);
    switch (c) {
      case 'y':
      case 'u':
        append_number(out, civil.year, width == 2 ? 2 : 4);
        break;
      case 'M':
        append_number(out, civil.month, width);
        break;
      case 'd':
        append_number(out, civil.day, width);
        break;
      case 'H':
        append_number(out, in_day / 3'600'000, width);
        break;
      case 'm':
        append_number(out, in_day / 60'000 % 60, width);
        break;
      case 's':
        append_number(out, in_day / 1000 % 60, width);
        break;
      case 'S':
        append_number(out, in_day % 1000, 3);
        break;
      default:
        out.append(run, c);
    }
    i += run;
  }
  return out;
}

}  // namespace

std::optional<int64_t> parse_date(std::string_view text, bool round_up) {
  if (auto ms = parse_iso(text, round_up)) return ms;
  int64_t epoch = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), epoch);
  if (error == std::errc() && end == text.data() + text.size() && !text.empty()) return epoch;
  return std::nullopt;
}

std::optional<int64_t> date_value(const rapidjson::Value& value, bool round_up) {
  if (value.IsString()) return parse_date({value.GetString(), value.GetStringLength()}, round_up);
  if (value.IsInt64()) return value.GetInt64();
  if (value.IsNumber()) return static_cast<int64_t>(value.GetDouble());
  return std::nullopt;
}

std::string format_date(int64_t ms, std::string_view format) {
  if (format == "epoch_millis") return std::to_string(ms);
  if (format == "strict_date" || format == "date") return format_pattern(ms, "yyyy-MM-dd");
  if (format.empty() || format == "strict_date_optional_time" || format == "date_optional_time" ||
      format == "strict_date_time" || format == "date_time")
    return format_pattern(ms, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");
  return format_pattern(ms, format);
}

std::optional<DateInterval> DateInterval::calendar(std::string_view text) {
  if (text == "minute" || text == "1m") return DateInterval(Unit::kFixed, 60'000);
  if (text == "hour" || text == "1h") return DateInterval(Unit::kFixed, 3'600'000);
  if (text == "day" || text == "1d") return DateInterval(Unit::kFixed, kDayMs);
  if (text == "week" || text == "1w") return DateInterval(Unit::kWeek, 7 * kDayMs);
  if (text == "month" || text == "1M") return DateInterval(Unit::kMonth, 0);
  if (text == "quarter" || text == "1q") return DateInterval(Unit::kQuarter, 0);
  if (text == "year" || text == "1y") return DateInterval(Unit::kYear, 0);
  return std::nullopt;
}

std::optional<DateInterval> DateInterval::fixed(std::string_view text) {
  int64_t count = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  if (error != std::errc() || count <= 0) return std::nullopt;
  int64_t unit_ms = unit == "ms"  ? 1
                    : unit == "s" ? 1000
                    : unit == "m" ? 60'000
                    : unit == "h" ? 3'600'000
                    : unit == "d" ? kDayMs
                                  : 0;
  if (unit_ms == 0) return std::nullopt;
  return DateInterval(Unit::kFixed, count * unit_ms);
}

int64_t DateInterval::round_down(int64_t ms) const {
  if (unit_ == Unit::kFixed) return floor_div(ms, fixed_ms_) * fixed_ms_;
  int64_t days = floor_div(ms, kDayMs);
  if (unit_ == Unit::kWeek) {
    int64_t monday_based = (days % 7 + 7 + 3) % 7;  // 1970-01-01 was a Thursday
    return (days - monday_based) * kDayMs;
  }
  Civil civil = civil_from_days(days);
  unsigned month = unit_ == Unit::kYear      ? 1
                   : unit_ == Unit::kQuarter ? (civil.month - 1) / 3 * 3 + 1
                                             : civil.month;
  return days_from_civil(civil.year, month, 1) * kDayMs;
}

int64_t DateInterval::next(int64_t key) const {
  if (unit_ == Unit::kFixed || unit_ == Unit::kWeek) return key + fixed_ms_;
  Civil civil = civil_from_days(floor_div(key, kDayMs));
  unsigned months = unit_ == Unit::kYear ? 12 : unit_ == Unit::kQuarter ? 3 : 1;
  int64_t index = civil.year * 12 + (civil.month - 1) + months;
  return days_from_civil(floor_div(index, 12),
                         static_cast<unsigned>(index - floor_div(index, 12) * 12) + 1, 1) *
         kDayMs;
}

}  // namespace auditrelay::fakes::es
