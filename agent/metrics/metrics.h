// Counters and gauges, and their Prometheus text exposition. Metric objects are created once
// (at start-up) and updated lock-free from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace auditrelay {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class MetricsRegistry {
 public:
  // Returns the series `name{labels}`, creating it on first use; the reference stays valid
  // for the registry's lifetime. Names follow auditrelay_<component>_<what>_<unit>.
  Counter& counter(std::string_view name, std::string_view help, MetricLabels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, MetricLabels labels = {});

  // Text exposition format 0.0.4, families in registration order.
  std::string render_prometheus() const;

 private:
  enum class Kind { kCounter, kGauge };
  struct Series {
    MetricLabels labels;
    Counter counter;
    Gauge gauge;
  };
  struct Family {
    std::string name;
    std::string help;
    Kind kind;
    std::deque<Series> series;
  };
  Series& series(std::string_view name, std::string_view help, Kind kind, MetricLabels labels);

  mutable std::mutex mutex_;
  std::deque<Family> families_;
};

}  // namespace auditrelay
