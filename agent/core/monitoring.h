// The monitoring endpoints of service.http_server, whatever server carries them:
//   GET /api/v1/health              200 {"status":"ok"}, or 503 {"status":"unhealthy",...}
//   GET /api/v1/metrics/prometheus  text exposition format 0.0.4
//   GET /api/v1/status              JSON: health, buffer, per input what it reads, per output
//                                   its backlog and state
// Buffer and backlog gauges are refreshed from the queue when metrics or status are asked for.
// Runs on the loop thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/buffer/disk_queue.h"
#include "agent/core/health.h"
#include "agent/core/plugin.h"
#include "agent/metrics/metrics.h"

namespace auditrelay {

struct MonitoringAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type among them
  std::string body;
};

class Monitoring {
 public:
  // One input as the status page lists it.
  struct InputReport {
    std::string name;
    std::string type;
    uint64_t records = 0;  // handed to the pipeline so far (auditrelay_input_records_total)
    InputStatus status;    // what the input says of itself
  };
  using QueueStats = std::function<buffer::QueueStats()>;
  using InputReports = std::function<std::vector<InputReport>()>;
  Monitoring(const Health& health, MetricsRegistry& metrics, QueueStats queue_stats,
             InputReports input_reports = {});

  MonitoringAnswer answer(std::string_view method, std::string_view path);

 private:
  struct OutputGauges {
    std::string name;
    Gauge* backlog_records;
    Gauge* backlog_bytes;
    Gauge* oldest_age_seconds;
  };
  // Reads the queue once and sets the buffer and backlog gauges from it.
  buffer::QueueStats refresh();
  OutputGauges& output_gauges(const std::string& name);
  MonitoringAnswer health() const;
  MonitoringAnswer status();

  const Health& health_;
  MetricsRegistry& metrics_;
  QueueStats queue_stats_;
  InputReports input_reports_;
  Gauge* segments_;
  Gauge* bytes_;
  Gauge* records_;
  Gauge* oldest_age_seconds_;
  std::vector<OutputGauges> outputs_;
};

}  // namespace auditrelay
