#include "plugins/out_webhook/webhook_response.h"

#include <string>

namespace auditrelay::webhook {

using delivery::Outcome;
using delivery::Verdict;

Outcome classify_webhook_response(const delivery::HttpResponse& response,
                                  const delivery::RetryableStatuses& retryable) {
  Outcome outcome;
  if (delivery::classify_transport(response.status, response.error, response.retry_after,
                                   outcome)) {
    return outcome;
  }
  const long status = response.status;
  if (status >= 200 && status < 300) {
    outcome.verdict = Verdict::kDelivered;
    return outcome;
  }
  outcome.error_type = "http_" + std::to_string(status);
  outcome.reason = response.body.substr(0, 200);
  if (status >= 300 && status < 400) {
    // The Location is not known here (the HTTP client does not keep it): the status says
    // enough to look for it.
    outcome.verdict = Verdict::kRetry;
    outcome.reason = "redirect not followed";
    outcome.alert = "the webhook endpoint answered " + std::to_string(status) +
                    " (a redirect), which is not followed: set url to the address it "
                    "redirects to; the events stay buffered";
    return outcome;
  }
  if (status == 410) {
    outcome.verdict = Verdict::kRejected;
    outcome.error_type = kEndpointGone;
    outcome.reason = "endpoint gone (410)";
    return outcome;
  }
  if (status == 429 || status == 502 || status == 503 || status == 504) {
    outcome.verdict = Verdict::kRetry;
    return outcome;
  }
  outcome.verdict = retryable(outcome.status) ? Verdict::kRetry : Verdict::kRejected;
  return outcome;
}

}  // namespace auditrelay::webhook
