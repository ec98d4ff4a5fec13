#include "agent/buffer/segment_scan.h"

#include <algorithm>
#include <stdexcept>

#include "agent/buffer/segment.h"

namespace auditrelay::buffer {
namespace {

// The offset of the next plausible frame start after `from`: a header that parses, or (in
// the last segment) the unfinished start of one at the very end. bytes.size() when none.
uint64_t resync(SegmentBytes& bytes, uint64_t from, bool last) {
  constexpr size_t kPiece = 64 << 10;  // looked through for the magic's first byte at a time
  uint64_t pos = from;
  while (pos < bytes.size()) {
    const std::string_view piece = bytes.read(pos, kPiece);
    const size_t at = piece.find(kFrameMagic[0]);
    if (at == std::string_view::npos) {
      pos += piece.size();
      continue;
    }
    pos += at;
    FrameHeader h;
    HeaderParse parse = parse_frame_header(bytes.read(pos, kMaxFrameHeaderBytes), h);
    if (parse == HeaderParse::kOk || (parse == HeaderParse::kIncomplete && last)) return pos;
    ++pos;
  }
  return bytes.size();
}

}  // namespace

std::string_view FileBytes::read(uint64_t offset, size_t length) {
  offset = std::min(offset, size_);
  length = static_cast<size_t>(std::min<uint64_t>(length, size_ - offset));
  if (offset < start_ || offset + length > start_ + buffer_.size()) {
    const uint64_t want = std::min<uint64_t>(std::max(length, window_), size_ - offset);
    if (std::string err = read_at(fd_, offset, want, buffer_); !err.empty()) {
      buffer_.clear();
      throw std::runtime_error(err);
    }
    start_ = offset;
  }
  return std::string_view(buffer_).substr(static_cast<size_t>(offset - start_), length);
}

SegmentScan scan_segment(SegmentBytes& bytes, bool last, uint64_t min_seq) {
  SegmentScan scan;
  const uint64_t size = bytes.size();
  uint64_t pos = 0;
  uint64_t next_seq = min_seq;
  auto set_aside = [&](uint64_t from, uint64_t to, std::string reason) {
    scan.corrupt.push_back({from, to - from, std::move(reason)});
  };
  while (pos < size) {
    FrameHeader h;
    HeaderParse parse = parse_frame_header(bytes.read(pos, kMaxFrameHeaderBytes), h);
    if (parse == HeaderParse::kIncomplete && last) {
      scan.torn_at = pos;  // a header cut short by a crash
      scan.torn_bytes = size - pos;
      return scan;
    }
    if (parse != HeaderParse::kOk) {
      uint64_t next = resync(bytes, pos + 1, last);
      set_aside(pos, next, "not a frame header");
      pos = next;
      continue;
    }
    if (h.frame_bytes() > size - pos) {
      if (last) {
        scan.torn_at = pos;  // the payload was cut short by a crash
        scan.torn_bytes = size - pos;
        return scan;
      }
      // Appends only ever go to the last segment, so this is damage, not a crash.
      set_aside(pos, size, "frame runs past the end of the segment");
      scan.damaged_end_seq = std::max(scan.damaged_end_seq, h.end_seq());
      pos = size;
      break;
    }
    const std::string_view payload = bytes.read(pos + h.header_len, h.payload_len);
    if (payload_checksum(payload) != h.payload_xxh64) {
      set_aside(pos, pos + h.frame_bytes(), "payload checksum mismatch");
      scan.damaged_end_seq = std::max(scan.damaged_end_seq, h.end_seq());
    } else if (h.first_seq < next_seq) {
      set_aside(pos, pos + h.frame_bytes(), "sequence numbers go back");
    } else {
      scan.frames.push_back({h, pos});
      next_seq = h.end_seq();
    }
    pos += h.frame_bytes();
  }
  scan.torn_at = size;
  return scan;
}

}  // namespace auditrelay::buffer
