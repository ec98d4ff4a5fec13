// What leaves the queue: segments every output's cursor has passed, and with
// when_full: drop_oldest the oldest segment when the queue is full.
#include <algorithm>
#include <system_error>
#include <utility>

#include "agent/buffer/cursor_store.h"
#include "agent/buffer/segmented_queue.h"

namespace auditrelay::buffer {

std::string SegmentedQueue::commit(const std::string& output, uint64_t next_seq) {
  {
    std::lock_guard lock(mu_);
    auto it = cursors_.find(output);
    if (it == cursors_.end()) return "buffer: unknown output " + output;
    next_seq = std::min(next_seq, next_seq_);  // nothing past the last record appended
  }
  std::string error;
  {
    // A concurrent commit of a higher value may have been written already: never go back.
    // A failed write is tried again by the next commit of this value or a higher one.
    std::lock_guard lock(commit_mu_);
    uint64_t& durable = durable_cursors_[output];
    if (next_seq > durable) {
      error = write_cursor(options_.dir, output, next_seq);
      if (error.empty()) {
        durable = next_seq;
      } else {
        error = "buffer: " + error;
      }
    }
  }
  // Even when the cursor file could not be written, the output has these records, and the
  // segments every output has passed go: on a full disk (ENOSPC) that is what makes room for
  // the cursor file itself, and without it the buffer would stay full for good. Safe before
  // the file says so: at the next start a cursor below the oldest record is moved up to it
  // (load_cursors), so at worst records the file did not count yet are sent again, as after
  // any crash.
  std::vector<Removed> removed;
  {
    std::lock_guard lock(mu_);
    uint64_t& cursor = cursors_[output];
    cursor = std::max(cursor, next_seq);
    delete_passed_locked(false);
    removed = std::exchange(removed_, {});
  }
  delete_removed(std::move(removed));
  return error;
}

uint64_t SegmentedQueue::min_cursor_locked() const {
  // Without outputs nothing has been delivered: keep everything.
  if (cursors_.empty()) return oldest_locked();
  uint64_t m = UINT64_MAX;
  for (const auto& [output, value] : cursors_)
    m = std::min(m, value);
  return m;
}

void SegmentedQueue::delete_passed_locked(bool including_open) {
  uint64_t min_cursor = min_cursor_locked();
  while (!segments_.empty()) {
    const Segment& front = segments_.front();
    bool open_for_appends = segments_.size() == 1 && append_fd_.valid();
    if (front.frames.empty() && open_for_appends) break;
    if (front.end_seq() > min_cursor || (open_for_appends && !including_open)) break;
    remove_front_locked();
  }
}

void SegmentedQueue::remove_front_locked() {
  Segment& front = segments_.front();
  Removed removed{front.path, std::move(front.read_fd), {}};
  if (segments_.size() == 1) removed.append_fd = std::move(append_fd_);
  removed_.push_back(std::move(removed));
  bytes_on_disk_ -= front.bytes;
  segments_.pop_front();
}

void SegmentedQueue::delete_removed(std::vector<Removed> removed) {
  for (Removed& r : removed) {
    std::error_code ec;
    std::filesystem::remove(r.path, ec);
    if (ec) {
      // Harmless if it comes back: its records are behind every cursor (and a crash before
      // this line leaves the file likewise).
      log_.warn("cannot remove a delivered segment",
                {{"segment", r.path.string()}, {"error", ec.message()}});
    }
    // r's descriptors close here, the last of the deleted file's: its blocks are freed now.
  }
}

bool SegmentedQueue::make_room_locked() {
  if (bytes_on_disk_ < options_.max_bytes) return true;
  // The segment open for appends may be all delivered: commit() keeps it (appending to it
  // is cheaper than a new file), but when the queue is full it has to go.
  delete_passed_locked(true);
  if (bytes_on_disk_ < options_.max_bytes) return true;
  if (options_.when_full == WhenFull::kBlock) return false;
  // The segment open for appends is never dropped: if it alone exceeds max_bytes (max_bytes
  // below segment_bytes), the queue grows past max_bytes until it rolls over.
  while (bytes_on_disk_ >= options_.max_bytes && segments_.size() > 1)
    drop_oldest_locked();
  return true;
}

void SegmentedQueue::drop_oldest_locked() {
  const Segment& front = segments_.front();
  const uint64_t end = front.end_seq();
  // Dropped: records some output had not delivered yet (at or after the lowest cursor).
  const uint64_t min_cursor = min_cursor_locked();
  uint64_t lost = 0;
  for (const FrameRef& f : front.frames) {
    if (f.end_seq() > min_cursor) lost += f.end_seq() - std::max(f.first_seq, min_cursor);
  }
  dropped_records_ += lost;
  log_.warn("buffer full: dropped the oldest segment (when_full: drop_oldest)",
            {{"segment", front.path.string()},
             {"records_dropped", lost},
             {"dropped_records_total", dropped_records_}});
  remove_front_locked();
  std::lock_guard lock(commit_mu_);
  for (auto& [output, value] : cursors_) {
    if (value >= end) continue;
    value = end;
    uint64_t& durable = durable_cursors_[output];
    if (durable >= end) continue;
    // On failure the file keeps the old value; open() moves a cursor below the oldest record
    // up to it, so nothing is lost by that.
    if (std::string err = write_cursor(options_.dir, output, end); !err.empty()) {
      log_.warn("cannot write a cursor after dropping records",
                {{"output", output}, {"error", err}});
    } else {
      durable = end;
    }
  }
}

}  // namespace auditrelay::buffer
