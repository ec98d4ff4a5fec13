#include "agent/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace auditrelay {
namespace {

// Label values escape backslash, double quote and newline (Prometheus text format).
void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Shortest round-trip decimal (0.005, 2.5, 10), as Prometheus' own clients write floats.
std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

void append_labels(std::string& out, const MetricLabels& labels, std::string_view le = {}) {
  if (labels.empty() && le.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += key + "=\"";
    append_label_value(out, value);
    out += '"';
  }
  if (!le.empty()) {
    if (!first) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::logic_error("histogram buckets must be strictly ascending");
  }
}

void Histogram::observe(double v) {
  // Buckets are upper bounds, inclusive (le): the first bound >= v.
  const auto bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i)
    counts[i] = counts_[i].load(std::memory_order_relaxed);
  return counts;
}

const std::vector<double>& default_duration_buckets() {
  static const std::vector<double> buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return buckets;
}

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help,
                                                 Kind kind, MetricLabels labels,
                                                 const std::vector<double>& buckets) {
  std::lock_guard lock(mutex_);
  Family* family = nullptr;
  for (auto& f : families_) {
    if (f.name == name) family = &f;
  }
  if (family == nullptr) {
    families_.push_back(Family{std::string(name), std::string(help), kind, buckets, {}});
    family = &families_.back();
  } else if (family->kind != kind) {
    throw std::logic_error("metric " + std::string(name) + " registered with two kinds");
  } else if (family->buckets != buckets) {
    throw std::logic_error("histogram " + std::string(name) + " registered with two bucket sets");
  }
  for (auto& s : family->series) {
    if (s.labels == labels) return s;
  }
  family->series.emplace_back();
  family->series.back().labels = std::move(labels);
  if (kind == Kind::kHistogram)
    family->series.back().histogram = std::make_unique<Histogram>(family->buckets);
  return family->series.back();
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  MetricLabels labels) {
  return series(name, help, Kind::kCounter, std::move(labels)).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, MetricLabels labels) {
  return series(name, help, Kind::kGauge, std::move(labels)).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::vector<double> buckets, MetricLabels labels) {
  return *series(name, help, Kind::kHistogram, std::move(labels), buckets).histogram;
}

std::string MetricsRegistry::render_prometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f.name + " " + f.help + "\n";
    const char* type = f.kind == Kind::kCounter ? "counter"
                       : f.kind == Kind::kGauge ? "gauge"
                                                : "histogram";
    out += "# TYPE " + f.name + " " + type + "\n";
    for (const auto& s : f.series) {
      if (f.kind == Kind::kHistogram) {
        // Cumulative buckets; _count is the +Inf bucket, so the two always agree.
        const std::vector<uint64_t> counts = s.histogram->bucket_counts();
        uint64_t cumulative = 0;
        for (size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          out += f.name + "_bucket";
          append_labels(out, s.labels, i < f.buckets.size() ? format_double(f.buckets[i]) : "+Inf");
          out += ' ' + std::to_string(cumulative) + '\n';
        }
        out += f.name + "_sum";
        append_labels(out, s.labels);
        out += ' ' + format_double(s.histogram->sum()) + '\n';
        out += f.name + "_count";
        append_labels(out, s.labels);
        out += ' ' + std::to_string(cumulative) + '\n';
        continue;
      }
      out += f.name;
      append_labels(out, s.labels);
      out += ' ';
      out += f.kind == Kind::kCounter ? std::to_string(s.counter.value())
                                      : std::to_string(s.gauge.value());
      out += '\n';
    }
  }
  return out;
}

}  // namespace auditrelay
