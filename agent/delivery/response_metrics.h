// What an output's requests got back, for Prometheus: responses by HTTP status
// (auditrelay_output_http_responses_total) and how long they took
// (auditrelay_output_request_duration_seconds). Loop thread only.
#pragma once

#include <map>
#include <string>

#include "agent/delivery/retry_policy.h"
#include "agent/metrics/metrics.h"

namespace auditrelay::delivery {

class ResponseMetrics {
 public:
  ResponseMetrics(MetricsRegistry& metrics, std::string output);

  // One response (status 0: a transport failure, counted as "error") that took `took`.
  void count(int status, Clock::duration took);

 private:
  MetricsRegistry& metrics_;
  std::string output_;
  std::map<int, Counter*> by_status_;  // created on first use: a handful per output
  Histogram* duration_;
};

}  // namespace auditrelay::delivery
