#include "agent/delivery/batch_reading.h"

#include <algorithm>

namespace auditrelay::delivery {

bool has_room(const DocumentBatch& docs, const BatchLimits& limits) {
  return docs.size() < limits.max_records && docs.bytes() < limits.max_bytes;
}

bool fill_from_queue(buffer::DiskQueue& queue, uint64_t& next_seq, DocumentBatch& docs,
                     const BatchLimits& limits) {
  while (has_room(docs, limits)) {
    std::optional<buffer::ReadFrame> frame = queue.read(next_seq);
    if (!frame) return true;
    if (docs.empty()) {
      docs = std::move(frame->documents);  // the usual case: no copy
    } else {
      docs.reserve(frame->documents.bytes(), frame->documents.size());
      for (size_t i = 0; i < frame->documents.size(); ++i) {
        DocumentView d = frame->documents[i];
        docs.add(d.id, d.index, d.json);
      }
    }
    next_seq = frame->next_seq;
  }
  return false;
}

std::vector<std::vector<uint32_t>> split_into_requests(const DocumentBatch& docs,
                                                       const BatchOutput& output,
                                                       const BatchLimits& limits) {
  std::vector<std::vector<uint32_t>> requests;
  std::vector<uint32_t> items;
  uint64_t bytes = 0;
  // The output's own limit (a webhook sends one event per request) caps max_records.
  const size_t max_items =
      std::min<size_t>(limits.max_records, std::max<size_t>(1, output.max_items_per_request()));
  for (uint32_t i = 0; i < docs.size(); ++i) {
    DocumentView d = docs[i];
    if (!output.wants(d)) continue;
    if (!items.empty() && (items.size() >= max_items || bytes + d.json.size() > limits.max_bytes)) {
      requests.push_back(std::move(items));
      items.clear();
      bytes = 0;
    }
    items.push_back(i);
    bytes += d.json.size();
  }
  if (!items.empty()) requests.push_back(std::move(items));
  return requests;
}

}  // namespace auditrelay::delivery
