#include "agent/delivery/batch_output.h"

namespace auditrelay::delivery {

bool classify_transport(long status, const std::string& error, const std::string& retry_after,
                        Outcome& outcome) {
  outcome.status = static_cast<int>(status);
  outcome.retry_after = retry_after;
  if (status == 0) {
    outcome.verdict = Verdict::kRetry;
    outcome.error_type = "connection_error";
    outcome.reason = error;
    return true;
  }
  if (status == 413) {
    outcome.too_large = true;
    outcome.error_type = "request_too_large";
    return true;
  }
  return false;
}

}  // namespace auditrelay::delivery
