// Saves one output's buffer cursor (DiskQueue::commit) off the loop thread: one save at a time,
// at most one every interval while delivering unless that many records are waiting (each save
// costs two fsyncs; what is delivered but not yet saved is only sent again after a crash, and the
// receiver's ids make that harmless; the record cap bounds how much that can be, whatever the
// speed), and after a failure again with a growing pause.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "agent/buffer/disk_queue.h"
#include "agent/core/log.h"
#include "agent/loop/handle.h"

namespace auditrelay::delivery {

class CursorSaver {
 public:
  // `settled` is called on the loop thread after every save, successful or not.
  CursorSaver(uv_loop_t* loop, std::string output, buffer::DiskQueue& queue, Logger& log,
              std::function<void()> settled);

  // Asks for the cursor to reach `next_seq`. With `at_once` (the last saves of a drain) the
  // interval is not waited for: by the next save to start, which may be this one or, when one
  // is under way, the one after it.
  void save(uint64_t next_seq, bool at_once);
  // The next save goes at once (not a retry after a failure, which waits for its pause).
  void hurry() { save(wanted_, true); }
  void stop() { timer_.stop(); }

  bool saving() const { return saving_; }
  // Everything asked for is saved.
  bool saved() const { return wanted_ <= saved_; }
  // The last save failed (its retry waits for a pause).
  bool failing() const { return failures_ > 0; }

 private:
  static constexpr uint64_t kIntervalMs = 100;
  static constexpr uint64_t kMaxUnsavedRecords = 16'384;

  bool too_many_unsaved() const { return wanted_ - saved_ >= kMaxUnsavedRecords; }

  uv_loop_t* loop_;
  std::string output_;
  buffer::DiskQueue& queue_;
  Logger& log_;
  std::function<void()> settled_;
  loop::Timer timer_;  // the interval, or the pause after a failure
  bool saving_ = false;
  bool at_once_ = false;             // the next save to start does not wait for the interval
  uint64_t wanted_ = 0;              // the highest cursor asked for
  uint64_t saved_ = 0;               // the last one saved
  std::optional<uint64_t> last_ms_;  // uv_now() when the last save started
  unsigned failures_ = 0;
};

}  // namespace auditrelay::delivery
