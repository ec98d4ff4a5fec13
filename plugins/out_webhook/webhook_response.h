// Classifies a webhook receiver's answer into a delivery verdict. Pure: tested with canned
// responses (STYLE.md §9). One event per request, so the verdict is the event's.
//   2xx                                   delivered
//   no response (connection, timeout)     retry
//   413                                   too large (the driver dead-letters a lone event)
//   429, 502, 503, 504                    retry, whatever retry.statuses says (Retry-After is
//                                         a floor for the backoff)
//   3xx                                   retry with an alert: redirects are not followed
//   410                                   rejected as endpoint_gone; the output then disables
//                                         the endpoint (out_webhook.cpp)
//   other 4xx and 5xx                     retry if retry.statuses lists them (by default
//                                         408 and every 5xx but 501 and 505), else rejected
//
// Why a redirect is neither followed nor dead-lettered: following it would POST signed
// events to an address nobody configured (and 301/302 turn POST into GET in many clients); a
// redirect means the url is out of date, which an operator fixes in a minute, so the events
// wait in the buffer meanwhile rather than all landing in the dead-letter file.
#pragma once

#include "agent/delivery/batch_output.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_client.h"

namespace auditrelay::webhook {

// error_type of the 410 verdict, by which the output recognises it.
inline constexpr const char* kEndpointGone = "endpoint_gone";

delivery::Outcome classify_webhook_response(const delivery::HttpResponse& response,
                                            const delivery::RetryableStatuses& retryable);

}  // namespace auditrelay::webhook
