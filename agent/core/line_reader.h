// Splits bytes read from a file into line records: "\n" or "\r\n" terminated, an unterminated
// last line left for later, lines over the size limit cut down to a prefix for the dead-letter
// file while the lines after them are read normally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/core/record.h"

namespace auditrelay {

// Where reading of one file stands.
struct LineCursor {
  uint64_t offset = 0;      // file offset of the next byte to read
  bool skipping = false;    // inside a line longer than the limit, looking for its end
  uint64_t skip_start = 0;  // file offset where that line starts
  std::string skip_prefix;  // its first bytes, kept for the dead-letter entry
};

struct LineScan {
  size_t records = 0;
  // File offset just past the last record emitted (its terminator included), or 0 if none.
  uint64_t emitted_until = 0;
};

// How much of an over-long line is kept for its dead-letter entry.
inline constexpr size_t kKeptPrefixBytes = 1024;

// Scans batch.data()[chunk_begin, end), the bytes of the file from cursor.offset on, and adds
// one record per complete line (terminator removed) with `source` and its file position. An
// unterminated tail is not consumed (cursor.offset stops at its start) unless it is already
// longer than `max_record_bytes` (then skipping begins) or `final` is set (the file will not
// grow any more: the tail becomes a record). Lines over the limit become truncated records.
LineScan scan_lines(RawBatch& batch, size_t chunk_begin, uint32_t source, LineCursor& cursor,
                    size_t max_record_bytes, bool final);

}  // namespace auditrelay
