#include "agent/metrics/metrics.h"

#include <doctest/doctest.h>

using namespace auditrelay;

TEST_CASE("counters and gauges render in the Prometheus text format") {
  MetricsRegistry m;
  m.counter("auditrelay_records_rejected_total", "Rejected records", {{"reason", "invalid_json"}})
      .inc(3);
  m.counter("auditrelay_records_rejected_total", "Rejected records", {{"reason", "a\"b"}}).inc();
  m.gauge("auditrelay_tail_files", "Files followed").set(2);
  CHECK(m.render_prometheus() ==
        "# HELP auditrelay_records_rejected_total Rejected records\n"
        "# TYPE auditrelay_records_rejected_total counter\n"
        "auditrelay_records_rejected_total{reason=\"invalid_json\"} 3\n"
        "auditrelay_records_rejected_total{reason=\"a\\\"b\"} 1\n"
        "# HELP auditrelay_tail_files Files followed\n"
        "# TYPE auditrelay_tail_files gauge\n"
        "auditrelay_tail_files 2\n");
}

TEST_CASE("the same name and labels return the same series") {
  MetricsRegistry m;
  Counter& a = m.counter("x_total", "x", {{"k", "v"}});
  Counter& b = m.counter("x_total", "x", {{"k", "v"}});
  CHECK(&a == &b);
  CHECK_THROWS_AS(m.gauge("x_total", "x"), std::logic_error);
}

TEST_CASE("histograms render cumulative buckets, +Inf, _sum and _count") {
  MetricsRegistry m;
  Histogram& h = m.histogram("auditrelay_request_duration_seconds", "Request durations",
                             {0.005, 0.5, 2.5}, {{"output", "es"}});
  h.observe(0.001953125);  // exact in binary, so is the sum
  h.observe(0.25);
  h.observe(0.5);  // a bound is inclusive (le)
  h.observe(30);
  CHECK(m.render_prometheus() ==
        "# HELP auditrelay_request_duration_seconds Request durations\n"
        "# TYPE auditrelay_request_duration_seconds histogram\n"
        "auditrelay_request_duration_seconds_bucket{output=\"es\",le=\"0.005\"} 1\n"
        "auditrelay_request_duration_seconds_bucket{output=\"es\",le=\"0.5\"} 3\n"
        "auditrelay_request_duration_seconds_bucket{output=\"es\",le=\"2.5\"} 3\n"
        "auditrelay_request_duration_seconds_bucket{output=\"es\",le=\"+Inf\"} 4\n"
        "auditrelay_request_duration_seconds_sum{output=\"es\"} 30.751953125\n"
        "auditrelay_request_duration_seconds_count{output=\"es\"} 4\n");
}

TEST_CASE("a histogram without labels, and its bucket set fixed at registration") {
  MetricsRegistry m;
  Histogram& h = m.histogram("d_seconds", "d", default_duration_buckets());
  CHECK(&h == &m.histogram("d_seconds", "d", default_duration_buckets()));
  h.observe(0.005);
  const std::string text = m.render_prometheus();
  CHECK(text.find("d_seconds_bucket{le=\"0.005\"} 1\n") != std::string::npos);
  CHECK(text.find("d_seconds_bucket{le=\"10\"} 1\n") != std::string::npos);
  CHECK(text.find("d_seconds_bucket{le=\"+Inf\"} 1\nd_seconds_sum 0.005\nd_seconds_count 1\n") !=
        std::string::npos);
  CHECK_THROWS_AS(m.histogram("d_seconds", "d", {1, 2}), std::logic_error);
  CHECK_THROWS_AS(m.counter("d_seconds", "d"), std::logic_error);
  CHECK_THROWS_AS(Histogram({2, 1}), std::logic_error);
}
