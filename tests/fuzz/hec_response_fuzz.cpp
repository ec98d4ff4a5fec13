// Fuzzes the Splunk HEC response classifier and the indexer-acknowledgement readers with any
// status and body: whatever HEC, a heavy forwarder or a proxy answers must become verdicts
// (and ack ids) without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "plugins/out_splunk_hec/hec_ack.h"
#include "plugins/out_splunk_hec/hec_response.h"
#include "tests/fuzz/response_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auditrelay::fuzz::ResponseInput input;
  if (!auditrelay::fuzz::read_response_input(data, size, input)) return 0;
  static const auditrelay::delivery::RetryableStatuses retryable;
  const auditrelay::delivery::Outcome outcome =
      auditrelay::splunk_hec::classify_hec_response(input.response, input.items, retryable);
  auditrelay::fuzz::abort_unless_valid(outcome);
  // HEC answers for the request as a whole; per-item verdicts only ever cover every item sent.
  if (!outcome.items.empty() && outcome.items.size() != input.items) std::abort();
  // The same body read as an event answer with an ackId and as an ack poll answer.
  (void)auditrelay::splunk_hec::ack_id_of(input.response.body);
  (void)auditrelay::splunk_hec::acknowledged_ids(input.response.body);
  return 0;
}
