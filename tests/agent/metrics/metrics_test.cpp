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
