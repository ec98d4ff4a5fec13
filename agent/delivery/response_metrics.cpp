#include "agent/delivery/response_metrics.h"

#include <algorithm>

namespace auditrelay::delivery {

ResponseMetrics::ResponseMetrics(MetricsRegistry& metrics, std::string output)
    : metrics_(metrics), output_(std::move(output)) {
  duration_ =
      &metrics_.histogram("auditrelay_output_request_duration_seconds",
                          "Time from sending a request to its response (or transport failure)",
                          default_duration_buckets(), {{"output", output_}});
}

void ResponseMetrics::count(int status, Clock::duration took) {
  auto it = by_status_.find(status);
  if (it == by_status_.end()) {
    Counter& counter = metrics_.counter(
        "auditrelay_output_http_responses_total",
        "Responses to this output's requests by HTTP status (\"error\": none arrived)",
        {{"output", output_}, {"status", status == 0 ? "error" : std::to_string(status)}});
    it = by_status_.emplace(status, &counter).first;
  }
  it->second->inc();
  duration_->observe(
      std::max(0.0, std::chrono::duration<double>(took).count()));  // the clock may step back
}

}  // namespace auditrelay::delivery
