// Verification of one segment's bytes, frame by frame: which frames are good, which byte
// ranges are corrupt (set aside by recovery) and whether the end is a torn write (cut off).
// The bytes are read a piece at a time (SegmentBytes): from a string in the tests of every kind
// of damage, from the file at recovery, where a segment of 64 MiB is then scanned holding about
// one frame in memory rather than the whole file.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/buffer/frame_format.h"

namespace auditrelay::buffer {

struct ScannedFrame {
  FrameHeader header;
  uint64_t offset = 0;
};

struct CorruptRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string reason;
};

struct SegmentScan {
  std::vector<ScannedFrame> frames;   // verified (header, payload checksum), in order
  std::vector<CorruptRange> corrupt;  // everything else before `torn_at`
  uint64_t torn_at = 0;               // where an unfinished last frame starts (or the size)
  uint64_t torn_bytes = 0;
  // Highest end sequence number of frames whose header was good but payload was not: those
  // sequence numbers were handed out, so they must not be handed out again.
  uint64_t damaged_end_seq = 0;
};

// A segment's bytes, read a piece at a time.
class SegmentBytes {
 public:
  virtual ~SegmentBytes() = default;
  virtual uint64_t size() const = 0;
  // The bytes at [offset, offset + length), cut short at the end; valid until the next call.
  // Throws std::runtime_error when they cannot be read.
  virtual std::string_view read(uint64_t offset, size_t length) = 0;
};

// Bytes already in memory.
class InMemoryBytes final : public SegmentBytes {
 public:
  explicit InMemoryBytes(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  std::string_view read(uint64_t offset, size_t length) override {
    return bytes_.substr(std::min<uint64_t>(offset, bytes_.size()), length);
  }

 private:
  std::string_view bytes_;
};

// A file of `size` bytes read through a window of `window` bytes (pread), moved to where a
// read falls outside it. The window grows only to the largest single read (about a frame).
class FileBytes final : public SegmentBytes {
 public:
  static constexpr size_t kDefaultWindow = 1 << 20;
  FileBytes(int fd, uint64_t size, size_t window = kDefaultWindow)
      : fd_(fd), size_(size), window_(window) {}
  uint64_t size() const override { return size_; }
  std::string_view read(uint64_t offset, size_t length) override;
  size_t memory() const { return buffer_.capacity(); }  // what it holds, for tests

 private:
  int fd_;
  uint64_t size_;
  size_t window_;
  std::string buffer_;  // the file's bytes from start_ on
  uint64_t start_ = 0;
};

// `last`: the segment appended to last, the only one where a crash can leave a torn frame.
// `min_seq`: sequence numbers must not go back below the end of the previous segment; a frame
// that does (only a bug or foreign data could write it) counts as corrupt.
SegmentScan scan_segment(SegmentBytes& bytes, bool last, uint64_t min_seq);
inline SegmentScan scan_segment(std::string_view bytes, bool last, uint64_t min_seq) {
  InMemoryBytes in_memory(bytes);
  return scan_segment(in_memory, last, min_seq);
}

}  // namespace auditrelay::buffer
