#include "agent/delivery/batch_reading.h"

#include <algorithm>

namespace auditrelay::delivery {

bool has_room(const DocumentBatch& docs, const BatchLimits& limits) {
  return docs.size() < limits.max_records && docs.bytes() < limits.max_bytes;
}

bool fill_from_queue(buffer::DiskQueue& queue, uint64_t& next_seq, DocumentBatch& docs,
                     const BatchLimits& limits, FrameCarry& carry) {
  std::optional<buffer::ReadFrame>& held = carry.frame;
  while (has_room(docs, limits)) {
    if (!held || next_seq >= held->next_seq || next_seq < held->first_seq) {
      if (held) carry.storage = held->documents.release();
      held = queue.read(next_seq, std::move(carry.storage));
      if (!held) return true;
      // A frame set aside as damaged is skipped: the next one may start later.
      next_seq = std::max(next_seq, held->first_seq);
    }
    DocumentBatch& frame = held->documents;
    const size_t begin = static_cast<size_t>(next_seq - held->first_seq);
    size_t end = begin;
    size_t count = docs.size();
    uint64_t bytes = docs.bytes();
    while (end < frame.size() && count < limits.max_records && bytes < limits.max_bytes) {
      const DocumentView d = frame[end++];
      bytes += d.id.size() + d.index.size() + d.json.size();
      ++count;
    }
    next_seq = held->first_seq + end;
    const bool used_up = end == frame.size();
    if (docs.empty() && begin == 0 && used_up) {
      docs = std::move(frame);  // the whole frame: no copy (and no memory left to keep)
    } else {
      docs.reserve(bytes - docs.bytes(), end - begin);
      docs.append(frame, begin, end);
    }
    if (used_up) {
      carry.storage = frame.release();
      held.reset();
    }
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
