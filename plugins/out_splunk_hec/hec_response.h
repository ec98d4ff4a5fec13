// Classifies a Splunk HEC response ({"text":..,"code":N,"invalid-event-number"?:K}) into
// delivery verdicts. Pure: tested with canned responses (STYLE.md §9). Status codes:
// https://docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector
//   code 0 with HTTP 2xx                      delivered
//   codes 8, 9, 18, 19, 20                    retry (server error, busy, unhealthy)
//   codes 1, 2, 3, 4, 21, 22                  retry, with an alert about the token
//   codes 10, 11, 14, 16                      retry, with an alert about the configuration
//   codes 5, 6, 12, 13, 15, 7 with K          per item: HEC indexed the events before K, K is
//                                             rejected, those after K are sent again (retry)
//   the same codes without a usable K         every item rejected
//   HTTP 413                                  too large: split
//   no response                               retry (connection_error)
//   no HEC code: 2xx delivered; retryable status (429, 5xx) retry; 401/403/404 retry with an
//   alert (a proxy, a wrong URL); any other status rejected
#pragma once

#include <cstddef>
#include <string>

#include "agent/delivery/batch_output.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_client.h"

namespace auditrelay::splunk_hec {

delivery::Outcome classify_hec_response(const delivery::HttpResponse& response, size_t items,
                                        const delivery::RetryableStatuses& retryable);

// One actionable sentence for the HEC codes an operator must fix (token, channel,
// acknowledgement, query-string authorization), e.g. "Splunk refused the HEC token (code 4:
// Invalid token): check this output's token"; empty for the other codes. The delivery alert
// adds what happens to the events; `check --connect` prints it as is.
std::string hec_code_advice(int code, const std::string& text);

}  // namespace auditrelay::splunk_hec
