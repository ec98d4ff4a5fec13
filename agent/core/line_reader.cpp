#include "agent/core/line_reader.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace auditrelay {
namespace {

size_t without_cr(const char* line, size_t size) {
  return size > 0 && line[size - 1] == '\r' ? size - 1 : size;
}

}  // namespace

LineScan scan_lines(RawBatch& batch, size_t chunk_begin, uint32_t source, LineCursor& cursor,
                    size_t max_record_bytes, bool final) {
  LineScan scan;
  // An over-long record keeps fewer bytes than the limit, so RawRecord::truncated() holds.
  const size_t keep = std::min(kKeptPrefixBytes, max_record_bytes);
  std::string& data = batch.data();
  size_t pos = chunk_begin;  // index in data of the file byte at cursor.offset
  const size_t end = data.size();
  // An over-long line that ended in this chunk: its record is added last, after the chunk's
  // bytes are trimmed, so that its kept prefix can simply be appended.
  struct FinishedSkip {
    uint64_t position;
    uint64_t full_size;
    std::string prefix;
  };
  std::optional<FinishedSkip> finished_skip;

  if (cursor.skipping) {
    const char* nl = static_cast<const char*>(std::memchr(data.data() + pos, '\n', end - pos));
    if (nl == nullptr && !final) {
      // Still inside the over-long line: drop what was read of it.
      cursor.offset += end - pos;
      data.resize(chunk_begin);
      return scan;
    }
    size_t line_end = nl != nullptr ? static_cast<size_t>(nl - data.data()) : end;
    uint64_t full = cursor.offset + (line_end - pos) - cursor.skip_start;
    if (nl != nullptr && line_end > pos && data[line_end - 1] == '\r') --full;
    size_t consumed = nl != nullptr ? line_end + 1 - pos : line_end - pos;
    cursor.offset += consumed;
    finished_skip = FinishedSkip{cursor.skip_start, full, std::move(cursor.skip_prefix)};
    cursor.skip_prefix.clear();
    cursor.skipping = false;
    scan.emitted_until = cursor.offset;
    pos += consumed;
  }

  while (pos < end) {
    const char* nl = static_cast<const char*>(std::memchr(data.data() + pos, '\n', end - pos));
    if (nl == nullptr) break;
    size_t line_end = static_cast<size_t>(nl - data.data());
    size_t size = without_cr(data.data() + pos, line_end - pos);
    size_t kept = size > max_record_bytes ? std::min(size, keep) : size;
    batch.add_record(source, cursor.offset, pos, kept, size);
    ++scan.records;
    cursor.offset += line_end + 1 - pos;
    scan.emitted_until = cursor.offset;
    pos = line_end + 1;
  }

  size_t tail = end - pos;
  if (tail > 0 && final) {
    size_t size = without_cr(data.data() + pos, tail);
    size_t kept = size > max_record_bytes ? std::min(size, keep) : size;
    batch.add_record(source, cursor.offset, pos, kept, size);
    ++scan.records;
    cursor.offset += tail;
    scan.emitted_until = cursor.offset;
  } else if (tail > max_record_bytes) {
    cursor.skipping = true;
    cursor.skip_start = cursor.offset;
    cursor.skip_prefix.assign(data, pos, std::min(tail, keep));
    cursor.offset += tail;
    data.resize(pos);
  } else if (tail > 0) {
    data.resize(pos);  // read again, whole, once its newline is there
  }
  if (finished_skip) {
    size_t prefix_at = data.size();
    data += finished_skip->prefix;
    batch.add_record(source, finished_skip->position, prefix_at, finished_skip->prefix.size(),
                     finished_skip->full_size);
    ++scan.records;
  }
  return scan;
}

}  // namespace auditrelay
