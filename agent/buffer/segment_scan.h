// Verification of one segment's bytes, frame by frame: which frames are good, which byte
// ranges are corrupt (set aside by recovery) and whether the end is a torn write (cut off).
// Pure, so that every kind of damage is tested on strings.
#pragma once

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

// `last`: the segment appended to last, the only one where a crash can leave a torn frame.
// `min_seq`: sequence numbers must not go back below the end of the previous segment; a frame
// that does (only a bug or foreign data could write it) counts as corrupt.
SegmentScan scan_segment(std::string_view bytes, bool last, uint64_t min_seq);

}  // namespace auditrelay::buffer
