// The byte buffer documents are written to, and a faster string copy for rapidjson::Writer.
//
// rapidjson::Writer copies string bytes one at a time unless RAPIDJSON_SSE2/SSE42 is defined,
// and defining those changes rapidjson classes that other components use too. Instead our
// writer gets its own output type, and for that type only, the Writer hook that copies the
// run of bytes needing no escape (rapidjson's own SIMD path hooks in at the same place,
// writer.h ScanWriteUnescapedString) scans eight bytes at a time. Strings are about half of
// the normalizer's time, so this matters.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <cstring>

namespace auditrelay::normalize {

class OutputBuffer : public rapidjson::StringBuffer {};

// rapidjson's Writer calls these unqualified; argument-dependent lookup picks them over its
// generic fallbacks (which would not reserve, making every byte a checked Put).
inline void PutReserve(OutputBuffer& buffer, size_t count) {
  buffer.Reserve(count);
}
inline void PutUnsafe(OutputBuffer& buffer, char c) {
  buffer.PutUnsafe(c);
}

inline bool needs_escape(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
}

// Copies bytes from `p` to `out` up to the first one a JSON string must escape (or `end`);
// advances `p` to it and returns the end of the copy. Word at a time, with the "has a byte
// less than n" / "has a zero byte" tests from
// https://graphics.stanford.edu/~seander/bithacks.html#HasLessInWord (exact as yes/no tests),
// and no memcpy call: most strings here are a few dozen bytes.
inline char* copy_unescaped(const char*& p, const char* end, char* out) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  for (; end - p >= 8; p += 8, out += 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    const uint64_t quote = word ^ (kOnes * '"');
    const uint64_t backslash = word ^ (kOnes * '\\');
    const uint64_t hits = ((word - kOnes * 0x20) & ~word) | ((quote - kOnes) & ~quote) |
                          ((backslash - kOnes) & ~backslash);
    if (hits & kHighBits) break;
    std::memcpy(out, &word, sizeof word);
  }
  while (p < end && !needs_escape(*p)) *out++ = *p++;
  return out;
}

}  // namespace auditrelay::normalize

namespace rapidjson {

// Copies the bytes up to the next one needing an escape; WriteString() escapes that one and
// calls again. WriteString() has already reserved six bytes per input byte, so claiming the
// rest of the string up front is safe; the unused part is handed back.
template <>
inline bool Writer<auditrelay::normalize::OutputBuffer>::ScanWriteUnescapedString(
    StringStream& is, size_t length) {
  const char* const end = is.head_ + length;
  const auto remaining = static_cast<size_t>(end - is.src_);
  char* const out = os_->PushUnsafe(remaining);
  const char* const out_end = auditrelay::normalize::copy_unescaped(is.src_, end, out);
  os_->Pop(remaining - static_cast<size_t>(out_end - out));
  return is.src_ < end;
}

}  // namespace rapidjson
