#include "plugins/out_webhook/webhook_response.h"

#include <string>

#include "agent/delivery/http_probe.h"

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
    outcome.verdict = Verdict::kRetry;
    outcome.reason = "redirect not followed";
    const std::string where = response.location.empty() ? std::string("the address it redirects to")
                                                        : delivery::display_url(response.location);
    outcome.alert = "the webhook endpoint answered " + std::to_string(status) +
                    " (a redirect), which is not followed: set url to " + where +
                    " if that is the right endpoint; the events stay buffered";
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
