#include "agent/normalize/timestamp.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <optional>
#include <string>

namespace auditrelay::normalize {
namespace {

std::string normalized(std::string_view text) {
  const auto ts = normalize_timestamp(text);
  return ts ? std::string(ts->view()) : "<rejected>";
}

TEST_CASE("accepted forms, converted to UTC with milliseconds") {
  CHECK(normalized("2026-01-16T18:22:11Z") == "2026-01-16T18:22:11.000Z");
  CHECK(normalized("2026-01-16t18:22:11z") == "2026-01-16T18:22:11.000Z");
  CHECK(normalized("2026-01-16T18:22:11.2Z") == "2026-01-16T18:22:11.200Z");
  CHECK(normalized("2026-01-16T18:22:11.25Z") == "2026-01-16T18:22:11.250Z");
  CHECK(normalized("2026-01-16T18:22:11.123Z") == "2026-01-16T18:22:11.123Z");
  CHECK(normalized("2026-01-16T18:22:11.123456Z") == "2026-01-16T18:22:11.123Z");
  CHECK(normalized("2026-01-16T18:22:11.999999999Z") == "2026-01-16T18:22:11.999Z");
  CHECK(normalized("2026-01-16T19:22:13+01:00") == "2026-01-16T18:22:13.000Z");
  CHECK(normalized("2026-01-16T12:52:13.5-05:30") == "2026-01-16T18:22:13.500Z");
  CHECK(normalized("2026-01-16T18:22:13-00:00") == "2026-01-16T18:22:13.000Z");
}

TEST_CASE("offsets carry across days, months, years and leap days") {
  CHECK(normalized("2026-01-01T00:30:00+01:00") == "2025-12-31T23:30:00.000Z");
  CHECK(normalized("2025-12-31T23:30:00-01:00") == "2026-01-01T00:30:00.000Z");
  CHECK(normalized("2024-03-01T00:00:00+00:01") == "2024-02-29T23:59:00.000Z");
  CHECK(normalized("2024-02-29T12:00:00Z") == "2024-02-29T12:00:00.000Z");
  CHECK(normalized("2000-02-29T00:00:00Z") == "2000-02-29T00:00:00.000Z");
  CHECK(normalized("1969-12-31T23:59:59.999Z") == "1969-12-31T23:59:59.999Z");
  CHECK(normalized("0000-01-01T00:00:00Z") == "0000-01-01T00:00:00.000Z");
  CHECK(normalized("9999-12-31T23:59:59.999Z") == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("a timestamp already in the output's form comes out as formatting its instant would") {
  // Every month's first and last days across leap and common years, at varied times.
  int checked = 0;
  for (int year : {0, 1969, 1970, 2000, 2024, 2025, 2100, 9999}) {
    for (int month = 1; month <= 12; ++month) {
      for (int day : {1, 28, 29, 30, 31}) {
        char text[32];
        std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, day,
                      (day * 7) % 24, (month * 13) % 60, (year + day) % 60, (year * day) % 1000);
        const std::optional<int64_t> millis = parse_rfc3339_millis(text);
        CAPTURE(text);
        if (!millis) {
          CHECK(normalized(text) == "<rejected>");  // Feb 30, Apr 31 and the like
          continue;
        }
        CHECK(normalized(text) == format_utc_millis(*millis).view());
        ++checked;
      }
    }
  }
  CHECK(checked > 400);
  // The same length in another form is formatted, not copied.
  CHECK(normalized("2026-01-16t18:22:11.123z") == "2026-01-16T18:22:11.123Z");
  CHECK(normalized("2026-01-16T18:22:11.123z") == "2026-01-16T18:22:11.123Z");
}

TEST_CASE("epoch milliseconds") {
  CHECK(parse_rfc3339_millis("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339_millis("1970-01-01T00:00:01.5Z") == 1500);
  CHECK(parse_rfc3339_millis("1969-12-31T23:59:59.999Z") == -1);
  CHECK(parse_rfc3339_millis("2026-01-16T18:22:11Z") == int64_t{1768587731000});
}

TEST_CASE("rejected forms") {
  for (std::string_view bad : {
           "",
           "2026-01-16",
           "2026-01-16T18:22:11",
           "2026-01-16 18:22:11Z",
           "2026-01-16T18:22Z",
           "2026-1-16T18:22:11Z",
           "26-01-16T18:22:11Z",
           "2026-01-16T18:22:11.Z",
           "2026-01-16T18:22:11.1234567890Z",
           "2026-01-16T18:22:11+0100",
           "2026-01-16T18:22:11+01",
           "2026-01-16T18:22:11+24:00",
           "2026-01-16T18:22:11+01:60",
           "2026-01-16T18:22:11ZZ",
           "2026-01-16T18:22:11Z ",
           " 2026-01-16T18:22:11Z",
           "2026-13-01T00:00:00Z",
           "2026-00-01T00:00:00Z",
           "2026-01-00T00:00:00Z",
           "2026-01-32T00:00:00Z",
           "2026-02-30T00:00:00Z",
           "2025-02-29T00:00:00Z",
           "1900-02-29T00:00:00Z",
           "2026-04-31T00:00:00Z",
           "2026-01-16T24:00:00Z",
           "2026-01-16T23:60:00Z",
           "2026-01-16T23:59:60Z",
           "2026-01-16T18:22:11+01:00:00",
           "2026-01-16T18:22:11,5Z",
           "２026-01-16T18:22:11Z",
           "+2026-01-16T18:22:11Z",
           "2026-01-16T18:22:1aZ",
           "0000-01-01T00:30:00+01:00",
           "9999-12-31T23:30:00-01:00",
           "1768587731",
       }) {
    CAPTURE(bad);
    CHECK_FALSE(parse_rfc3339_millis(bad).has_value());
  }
}

}  // namespace
}  // namespace auditrelay::normalize
