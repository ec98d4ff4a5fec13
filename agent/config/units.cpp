#include "agent/config/units.h"

#include <array>
#include <charconv>
#include <limits>
#include <span>

#include "agent/config/settings.h"

namespace auditrelay {
namespace {

// A non-negative decimal: whole + fraction / fraction_scale.
struct Decimal {
  uint64_t whole = 0;
  uint64_t fraction = 0;
  uint64_t fraction_scale = 1;
};

// Fraction digits kept; later ones are dropped (the result is truncated anyway). Six keeps
// fraction * unit below 2^64 for every unit up to TB.
constexpr int kMaxFractionDigits = 6;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Splits "1.5GiB" / "64 MiB" into the number and the unit ("GiB"); no sign is accepted.
bool split_number(std::string_view text, Decimal& number, std::string_view& unit) {
  size_t i = 0;
  if (i == text.size() || !is_digit(text[i])) return false;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    if (__builtin_mul_overflow(number.whole, 10U, &number.whole) ||
        __builtin_add_overflow(number.whole, static_cast<uint64_t>(text[i] - '0'), &number.whole)) {
      return false;
    }
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (i == text.size() || !is_digit(text[i])) return false;
    for (int digits = 0; i < text.size() && is_digit(text[i]); ++i, ++digits) {
      if (digits >= kMaxFractionDigits) continue;
      number.fraction = number.fraction * 10 + static_cast<uint64_t>(text[i] - '0');
      number.fraction_scale *= 10;
    }
  }
  while (i < text.size() && text[i] == ' ')
    ++i;
  unit = text.substr(i);
  return true;
}

// number * unit, truncated to an integer; false on overflow.
bool scale(const Decimal& number, uint64_t unit, uint64_t& out) {
  uint64_t whole = 0;
  if (__builtin_mul_overflow(number.whole, unit, &whole)) return false;
  const uint64_t fraction = number.fraction * unit / number.fraction_scale;
  return !__builtin_add_overflow(whole, fraction, &out);
}

struct Unit {
  std::string_view name;
  uint64_t factor;
};

bool parse_with_units(std::string_view text, std::span<const Unit> units, uint64_t& out) {
  Decimal number;
  std::string_view unit;
  if (!split_number(text, number, unit)) return false;
  for (const Unit& u : units) {
    if (equals_ignoring_case(unit, u.name)) return scale(number, u.factor, out);
  }
  return false;
}

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = kKiB * 1024;
constexpr uint64_t kGiB = kMiB * 1024;
constexpr uint64_t kTiB = kGiB * 1024;

constexpr uint64_t kMinute = 60'000;
constexpr uint64_t kHour = 60 * kMinute;

}  // namespace

bool parse_bool(std::string_view text, bool& out) {
  if (equals_ignoring_case(text, "true") || equals_ignoring_case(text, "yes")) {
    out = true;
    return true;
  }
  if (equals_ignoring_case(text, "false") || equals_ignoring_case(text, "no")) {
    out = false;
    return true;
  }
  return false;
}

bool parse_int(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return false;
  out = value;
  return true;
}

bool parse_duration(std::string_view text, std::chrono::milliseconds& out) {
  // A bare number is seconds, like Fluent Bit's and systemd's time spans.
  static constexpr std::array<Unit, 5> kUnits{
      {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", kMinute}, {"h", kHour}}};
  uint64_t ms = 0;
  if (!parse_with_units(text, kUnits, ms)) return false;
  if (ms > static_cast<uint64_t>(std::numeric_limits<std::chrono::milliseconds::rep>::max())) {
    return false;
  }
  out = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ms));
  return true;
}

bool parse_size(std::string_view text, uint64_t& out) {
  // KB/MB/GB/TB are decimal and KiB/MiB/GiB/TiB binary, as in IEC 80000-13.
  static constexpr std::array<Unit, 10> kUnits{{{"", 1},
                                                {"B", 1},
                                                {"KB", 1000},
                                                {"MB", 1000'000},
                                                {"GB", 1000'000'000},
                                                {"TB", 1000'000'000'000},
                                                {"KiB", kKiB},
                                                {"MiB", kMiB},
                                                {"GiB", kGiB},
                                                {"TiB", kTiB}}};
  return parse_with_units(text, kUnits, out);
}

std::string format_duration(std::chrono::milliseconds value) {
  const auto ms = static_cast<uint64_t>(value.count());
  if (ms == 0) return "0s";
  if (ms % kHour == 0) return std::to_string(ms / kHour) + "h";
  if (ms % kMinute == 0) return std::to_string(ms / kMinute) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_size(uint64_t bytes) {
  static constexpr std::array<Unit, 4> kUnits{
      {{"TiB", kTiB}, {"GiB", kGiB}, {"MiB", kMiB}, {"KiB", kKiB}}};
  if (bytes != 0) {
    for (const Unit& u : kUnits) {
      if (bytes % u.factor == 0) return std::to_string(bytes / u.factor) + std::string(u.name);
    }
  }
  return std::to_string(bytes);
}

}  // namespace auditrelay
