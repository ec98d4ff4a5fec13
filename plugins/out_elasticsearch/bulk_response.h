// Classifies an Elasticsearch _bulk response into delivery verdicts, per item when the request
// as a whole was accepted. Pure: tested with canned responses (STYLE.md §9).
//   item 2xx                                   delivered
//   item 409 version_conflict_engine_exception delivered (create: the _id is already indexed)
//   item with a retryable status (429, 5xx)    retry, only that item
//   any other item status (400 mapper_parsing) rejected → dead-letter with the reason
//   request 413                                too large: split
//   request 401/403/404                        retry, with an actionable alert
//   request retryable status / no response     retry (Retry-After honoured by the driver)
//   request other status                       rejected
#pragma once

#include <cstddef>
#include <string_view>

#include "agent/delivery/batch_output.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_client.h"

namespace auditrelay::elasticsearch {

delivery::Outcome classify_bulk_response(const delivery::HttpResponse& response, size_t items,
                                         const delivery::RetryableStatuses& retryable);

}  // namespace auditrelay::elasticsearch
