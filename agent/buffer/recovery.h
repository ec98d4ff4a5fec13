// What open() does to the segments before anything is appended: every frame verified, a torn
// last frame cut off, corrupt frames copied to <dir>/corrupt/ and removed from their segment,
// empty segments removed. inspect() runs the same scan without changing anything.
#pragma once

#include <cstdint>
#include <filesystem>

#include "agent/buffer/disk_queue.h"
#include "agent/buffer/segment.h"

namespace auditrelay::buffer {

struct RecoveredSegments {
  SegmentList segments;  // by first sequence number, each with at least one frame
  // No sequence number below this may be handed out again (it may have been read already).
  uint64_t next_seq_floor = 0;
};

// `repair` false: read only. Throws std::runtime_error only when the segments directory
// cannot be listed; problems with files go to `report` (and the log when repairing).
RecoveredSegments recover_segments(const std::filesystem::path& dir, bool repair,
                                   RecoveryReport& report);

// Copies a frame's bytes to <dir>/corrupt/<segment>-<offset>.bin. Returns "" or the error.
std::string set_aside_corrupt(const std::filesystem::path& dir, const Segment& segment,
                              uint64_t offset, std::string_view bytes);
uint64_t count_corrupt_files(const std::filesystem::path& dir);

}  // namespace auditrelay::buffer
