#include "agent/buffer/cursor_tracker.h"

namespace auditrelay::buffer {

void CursorTracker::started(uint64_t first_seq, uint64_t next_seq) {
  batches_[first_seq] = Batch{next_seq, false};
  if (next_seq > read_to_) read_to_ = next_seq;
}

std::optional<uint64_t> CursorTracker::completed(uint64_t first_seq) {
  auto it = batches_.find(first_seq);
  if (it == batches_.end()) return std::nullopt;  // unknown or already completed
  it->second.done = true;
  uint64_t before = cursor_;
  // The cursor passes only a contiguous run of finished batches from the oldest one; a gap in
  // sequence numbers between batches (a corrupt frame set aside) holds no records to wait for.
  while (!batches_.empty() && batches_.begin()->second.done) {
    cursor_ = batches_.begin()->second.next_seq;
    batches_.erase(batches_.begin());
  }
  if (cursor_ == before) return std::nullopt;
  return cursor_;
}

}  // namespace auditrelay::buffer
