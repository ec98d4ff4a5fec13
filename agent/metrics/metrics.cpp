#include "agent/metrics/metrics.h"

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

}  // namespace

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help,
                                                 Kind kind, MetricLabels labels) {
  std::lock_guard lock(mutex_);
  Family* family = nullptr;
  for (auto& f : families_) {
    if (f.name == name) family = &f;
  }
  if (family == nullptr) {
    families_.push_back(Family{std::string(name), std::string(help), kind, {}});
    family = &families_.back();
  } else if (family->kind != kind) {
    throw std::logic_error("metric " + std::string(name) + " registered with two kinds");
  }
  for (auto& s : family->series) {
    if (s.labels == labels) return s;
  }
  family->series.emplace_back();
  family->series.back().labels = std::move(labels);
  return family->series.back();
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  MetricLabels labels) {
  return series(name, help, Kind::kCounter, std::move(labels)).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, MetricLabels labels) {
  return series(name, help, Kind::kGauge, std::move(labels)).gauge;
}

std::string MetricsRegistry::render_prometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f.name + " " + f.help + "\n";
    out += "# TYPE " + f.name + (f.kind == Kind::kCounter ? " counter\n" : " gauge\n");
    for (const auto& s : f.series) {
      out += f.name;
      if (!s.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i > 0) out += ',';
          out += s.labels[i].first + "=\"";
          append_label_value(out, s.labels[i].second);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      out += f.kind == Kind::kCounter ? std::to_string(s.counter.value())
                                      : std::to_string(s.gauge.value());
      out += '\n';
    }
  }
  return out;
}

}  // namespace auditrelay
