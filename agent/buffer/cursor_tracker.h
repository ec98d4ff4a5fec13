// An output's in-memory view of its batches in flight: they may complete in any order, the
// cursor only advances over a contiguous run of completed ones (then it is committed).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace auditrelay::buffer {

class CursorTracker {
 public:
  explicit CursorTracker(uint64_t cursor) : cursor_(cursor), read_to_(cursor) {}

  // Registers the next batch read, [first_seq, next_seq); first_seq >= the previous next_seq
  // (gaps left by corrupt frames are allowed).
  void started(uint64_t first_seq, uint64_t next_seq);
  // Marks the batch that starts at first_seq done. Returns the new cursor if it moved.
  std::optional<uint64_t> completed(uint64_t first_seq);

  uint64_t cursor() const { return cursor_; }
  uint64_t read_to() const { return read_to_; }  // where the next read starts
  size_t in_flight() const { return batches_.size(); }

 private:
  struct Batch {
    uint64_t next_seq;
    bool done;
  };
  uint64_t cursor_;
  uint64_t read_to_;
  std::map<uint64_t, Batch> batches_;  // by first_seq
};

}  // namespace auditrelay::buffer
