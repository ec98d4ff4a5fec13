#include "agent/report/period.h"

#include <doctest/doctest.h>

#include "agent/report/report_error.h"

using namespace auditrelay::report;

TEST_CASE("a period is a month or a day, in UTC, its end excluded") {
  TimeRange month = parse_period("2025-01");
  CHECK(format_instant(month.start_ms) == "2025-01-01T00:00:00.000Z");
  CHECK(format_instant(month.end_ms) == "2025-02-01T00:00:00.000Z");
  TimeRange december = parse_period("2024-12");
  CHECK(format_instant(december.end_ms) == "2025-01-01T00:00:00.000Z");
  TimeRange day = parse_period("2024-02-29");
  CHECK(format_instant(day.start_ms) == "2024-02-29T00:00:00.000Z");
  CHECK(format_instant(day.end_ms) == "2024-03-01T00:00:00.000Z");
  CHECK(day.contains(day.start_ms));
  CHECK_FALSE(day.contains(day.end_ms));
}

TEST_CASE("--start and --end: a date as the end includes that day, an instant does not") {
  TimeRange dates = parse_start_end("2025-01-10", "2025-01-12");
  CHECK(format_instant(dates.start_ms) == "2025-01-10T00:00:00.000Z");
  CHECK(format_instant(dates.end_ms) == "2025-01-13T00:00:00.000Z");
  TimeRange instants = parse_start_end("2025-01-10T12:00:00+02:00", "2025-01-10T12:30:00Z");
  CHECK(format_instant(instants.start_ms) == "2025-01-10T10:00:00.000Z");
  CHECK(format_instant(instants.end_ms) == "2025-01-10T12:30:00.000Z");
}

TEST_CASE("bad dates are refused with the option and the text") {
  for (const char* bad : {"2025-13", "2025-02-30", "2025", "2025-1", "yesterday", "", "2025-01-"}) {
    CAPTURE(bad);
    try {
      parse_period(bad);
      FAIL("accepted");
    } catch (const ReportError& e) {
      CHECK(std::string(e.what()).find("--period '" + std::string(bad) + "'") == 0);
    }
  }
  CHECK_THROWS_AS(parse_start_end("2025-01-10", "2025-01-09"), ReportError);
  CHECK_THROWS_AS(parse_start_end("2025-01-10", "soon"), ReportError);
  CHECK_THROWS_WITH_AS(parse_start_end("2025-01-10T25:00:00Z", "2025-01-11"),
                       doctest::Contains("--start"), ReportError);
}

TEST_CASE("buckets: days, and months across a year's end") {
  int64_t t = parse_period("2024-12-31").start_ms + 5 * 3'600'000;
  CHECK(bucket_label(bucket_start(t, Granularity::kDaily), Granularity::kDaily) == "2024-12-31");
  int64_t month = bucket_start(t, Granularity::kMonthly);
  CHECK(bucket_label(month, Granularity::kMonthly) == "2024-12");
  CHECK(bucket_label(next_bucket(month, Granularity::kMonthly), Granularity::kMonthly) ==
        "2025-01");
  CHECK(format_instant(next_bucket(bucket_start(t, Granularity::kDaily), Granularity::kDaily)) ==
        "2025-01-01T00:00:00.000Z");
  // Before 1970 too.
  int64_t old = parse_period("1969-07-20").start_ms + 1000;
  CHECK(bucket_label(bucket_start(old, Granularity::kDaily), Granularity::kDaily) == "1969-07-20");
}
