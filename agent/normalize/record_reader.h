// The rapidjson reader type the normalizer parses with, and a faster string scan for it.
//
// Like the writer (output_buffer.h), rapidjson's reader goes byte by byte through strings
// unless RAPIDJSON_SSE2/SSE42 is defined for every user of rapidjson. Our reader is a type of
// its own (through its stack allocator), and for that type only, the hook that skips the run
// of plain bytes in an in-situ string (reader.h ScanCopyUnescapedString, where rapidjson's SIMD
// path hooks in) scans eight bytes at a time. It is only used without encoding validation.
#pragma once

#include <rapidjson/reader.h>

#include <cstdint>
#include <cstring>

#include "agent/normalize/output_buffer.h"

namespace auditrelay::normalize {

// Exists only to make RecordReader a distinct type.
class RecordReaderAllocator : public rapidjson::CrtAllocator {};

using RecordReader =
    rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, RecordReaderAllocator>;

// The scan reads whole words: the buffer must hold this many bytes after its terminating NUL.
inline constexpr size_t kScanPadding = 8;

// Whether the eight bytes of `word` hold one a JSON string cannot take as is: '"', '\\' or a
// control byte (which includes the terminating NUL). See output_buffer.h for the tests.
inline bool has_special_byte(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  const uint64_t quote = word ^ (kOnes * '"');
  const uint64_t backslash = word ^ (kOnes * '\\');
  return ((((word - kOnes * 0x20) & ~word) | ((quote - kOnes) & ~quote) |
           ((backslash - kOnes) & ~backslash)) &
          kHighBits) != 0;
}

}  // namespace auditrelay::normalize

namespace rapidjson {

// In situ the string is decoded onto itself: until its first escape the write position equals
// the read position and plain bytes only need skipping; after one, they move down.
template <>
template <>
inline void auditrelay::normalize::RecordReader::ScanCopyUnescapedString<
    InsituStringStream, InsituStringStream>(InsituStringStream& is, InsituStringStream& os) {
  using auditrelay::normalize::has_special_byte;
  using auditrelay::normalize::needs_escape;
  char* p = is.src_;
  char* q = os.dst_;
  uint64_t word;
  if (p == q) {
    for (; std::memcpy(&word, p, sizeof word), !has_special_byte(word); p += 8) {
    }
    while (!needs_escape(*p))
      ++p;
    is.src_ = os.dst_ = p;
    return;
  }
  for (; std::memcpy(&word, p, sizeof word), !has_special_byte(word); p += 8, q += 8) {
    std::memcpy(q, &word, sizeof word);  // q < p: the word is loaded before it is stored
  }
  while (!needs_escape(*p))
    *q++ = *p++;
  is.src_ = p;
  os.dst_ = q;
}

}  // namespace rapidjson
