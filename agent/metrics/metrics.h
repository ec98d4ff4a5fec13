// Counters, gauges and histograms, and their Prometheus text exposition. Metric objects are
// created once (at start-up) and updated lock-free from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
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

// Observations counted into fixed buckets (upper bounds, ascending, given at registration) plus
// their sum, rendered as Prometheus' cumulative `_bucket{le=..}`, `_sum` and `_count`.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);

  void observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // Per bucket, not cumulative; one more than bounds() (the last is +Inf).
  std::vector<uint64_t> bucket_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// Prometheus' default buckets, 5 ms to 10 s: request durations in seconds.
const std::vector<double>& default_duration_buckets();

class MetricsRegistry {
 public:
  // Returns the series `name{labels}`, creating it on first use; the reference stays valid
  // for the registry's lifetime. Names follow auditrelay_<component>_<what>_<unit>.
  Counter& counter(std::string_view name, std::string_view help, MetricLabels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, MetricLabels labels = {});
  // Every series of a family has the same buckets (a different set is a logic_error).
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> buckets,
                       MetricLabels labels = {});

  // Text exposition format 0.0.4, families in registration order.
  std::string render_prometheus() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Series {
    MetricLabels labels;
    Counter counter;
    Gauge gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::string name;
    std::string help;
    Kind kind;
    std::vector<double> buckets;  // histograms only
    std::deque<Series> series;
  };
  Series& series(std::string_view name, std::string_view help, Kind kind, MetricLabels labels,
                 const std::vector<double>& buckets = {});

  mutable std::mutex mutex_;
  std::deque<Family> families_;
};

}  // namespace auditrelay
