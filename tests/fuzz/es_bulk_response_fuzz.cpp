// Fuzzes the Elasticsearch _bulk response classifier with any status and body: it must turn
// whatever a cluster or a proxy in front of it answers into verdicts without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "plugins/out_elasticsearch/bulk_response.h"
#include "tests/fuzz/response_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auditrelay::fuzz::ResponseInput input;
  if (!auditrelay::fuzz::read_response_input(data, size, input)) return 0;
  static const auditrelay::delivery::RetryableStatuses retryable;
  const auditrelay::delivery::Outcome outcome =
      auditrelay::elasticsearch::classify_bulk_response(input.response, input.items, retryable);
  auditrelay::fuzz::abort_unless_valid(outcome);
  return 0;
}
