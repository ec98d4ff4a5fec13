// RFC 3339 timestamps in, `YYYY-MM-DDTHH:MM:SS.mmmZ` out (MAPPING.md §1 `@timestamp`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace auditrelay::normalize {

// A UTC instant formatted as RFC 3339 with exactly three fraction digits and 'Z'.
struct UtcTimestamp {
  static constexpr size_t kLength = 24;  // 2026-01-16T18:22:11.000Z
  char text[kLength];
  std::string_view view() const { return {text, kLength}; }
};

// Parses `YYYY-MM-DD('T'|'t')HH:MM:SS[.fraction]('Z'|'z'|±HH:MM)`, 1 to 9 fraction digits
// (truncated to milliseconds). Every field is range-checked (no month 13, Feb 30, hour 24 or
// leap second 60). Returns milliseconds since the Unix epoch, or nullopt when `text` is not such
// a timestamp or its UTC year falls outside 0000–9999.
std::optional<int64_t> parse_rfc3339_millis(std::string_view text);

// Formats milliseconds since the epoch; `millis` must come from parse_rfc3339_millis.
UtcTimestamp format_utc_millis(int64_t millis);

// Both steps at once: what every schema does with its timestamp field.
std::optional<UtcTimestamp> normalize_timestamp(std::string_view text);

}  // namespace auditrelay::normalize
