// One raw record to a document, as the pipeline and `auditrelay normalize` both do it: a
// record cut by the line reader (over max_record_bytes) is rejected as too_large, anything
// else goes to the normalizer.
#pragma once

#include <optional>
#include <string>

#include "agent/core/record.h"
#include "agent/normalize/normalizer.h"

namespace auditrelay {

inline std::optional<Rejection> normalize_record(Normalizer& normalizer, const RawBatch& batch,
                                                 const RawRecord& record, Schema schema,
                                                 DocumentBatch& out,
                                                 normalize::EventType* event_type = nullptr) {
  if (record.truncated()) {
    return Rejection{RejectReason::kTooLarge,
                     "record of " + std::to_string(record.full_size) +
                         " bytes is over max_record_bytes; only its first " +
                         std::to_string(record.size) + " bytes are kept"};
  }
  return normalizer.normalize(batch.bytes(record), schema,
                              {batch.source(record).id_key, record.position}, out, event_type,
                              batch.readable_after(record));
}

}  // namespace auditrelay
