// What a network output plugin implements (STYLE.md §2): it encodes documents into a request
// body and classifies the response, per item where the protocol has items, as delivered, retry
// or rejected. It never sleeps, retries or counts: the BatchDriver batches, keeps `concurrency`
// requests in flight, asks the RetryPolicy when to try again, dead-letters rejected documents
// and moves the buffer cursor.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "agent/core/document.h"

namespace auditrelay::delivery {

enum class Verdict : uint8_t {
  kDelivered,  // the receiver has it (or already had it)
  kRetry,      // a passing problem: send it again later
  kRejected,   // it can never be accepted as it is: dead-letter it
};

struct ItemOutcome {
  Verdict verdict = Verdict::kDelivered;
  int status = 0;          // the receiver's status for this item
  std::string error_type;  // e.g. mapper_parsing_exception (empty when delivered)
  std::string reason;
};

// The classification of one response.
struct Outcome {
  // The verdict for every item of the request, unless `items` is non-empty.
  Verdict verdict = Verdict::kDelivered;
  // The receiver refused the request for its size (HTTP 413): the driver splits it in halves;
  // a single item that is still too large is dead-lettered.
  bool too_large = false;
  // One per item sent, in request order, when the receiver answered per item.
  std::vector<ItemOutcome> items;
  int status = 0;          // HTTP status, 0 when no response arrived
  std::string error_type;  // what went wrong with the request as a whole
  std::string reason;
  std::string retry_after;  // the Retry-After header, as received
  // For failures an operator must fix (credentials, privileges, a wrong URL): one actionable
  // sentence, logged once per streak of failures.
  std::string alert;
};

// What every HTTP output concludes alike from a response before reading its body: no response
// at all (retry, connection_error) or HTTP 413 (too large: split). Fills in `outcome`'s
// status and retry_after too; returns true when nothing more needs reading.
bool classify_transport(long status, const std::string& error, const std::string& retry_after,
                        Outcome& outcome);

class BatchOutput {
 public:
  virtual ~BatchOutput() = default;

  // Whether the document is sent at all (e.g. a webhook's event filter). Others count as
  // delivered without a request. Called on a worker thread.
  virtual bool wants(const DocumentView& /*document*/) const { return true; }

  // Encodes the documents `batch[i]`, i in `items`, into one request body, in that order.
  // Called on a worker thread; must be pure (no shared mutable state).
  virtual std::string encode(const DocumentBatch& batch, std::span<const uint32_t> items) = 0;

  // Sends a body from encode() holding `count` items. Loop thread; `done` is called once,
  // later, on the loop thread, with the classified response.
  //
  // A receiver that confirms durability only some time after it answers (Splunk's indexer
  // acknowledgement) calls `answered` first, once, when the request itself is answered and
  // only the confirmation is awaited: the request stops counting against `concurrency`, so
  // more are sent meanwhile, while the batch (and the cursor) waits for `done`, up to
  // max_awaiting() batches. Others never call it.
  virtual void send(std::shared_ptr<const std::string> body, size_t count,
                    std::function<void(Outcome)> done, std::function<void()> answered) = 0;

  // The most batches that may wait for `done` after `answered`; no batch is sent while that
  // many wait.
  virtual size_t max_awaiting() const { return std::numeric_limits<size_t>::max(); }

  // The most documents in one request, whatever batch.max_records says (a webhook sends one
  // event per request). At least 1.
  virtual size_t max_items_per_request() const { return std::numeric_limits<size_t>::max(); }
};

}  // namespace auditrelay::delivery
