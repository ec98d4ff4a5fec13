#include "agent/normalize/record_id.h"

#include <cstdint>

// The state struct is only declared for static linking; we keep it on the stack rather than
// paying XXH3_createState()'s malloc per record.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace auditrelay::normalize {
namespace {

// Fixed little-endian encoding, so ids are the same on every host.
void update_le64(XXH3_state_t& state, uint64_t value) {
  unsigned char bytes[8];
  for (unsigned char& b : bytes) {
    b = static_cast<unsigned char>(value & 0xff);
    value >>= 8;
  }
  XXH3_128bits_update(&state, bytes, sizeof bytes);
}

}  // namespace

void derive_record_id_into(const RecordPosition& where, std::string_view raw, RecordId& out) {
  // Framing: len(key) | key | position | raw. The length prefix keeps ("ab", "c...") and
  // ("a", "bc...") apart; the position is fixed-width and raw runs to the end, so every
  // input maps to exactly one byte sequence.
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  update_le64(state, where.source_key.size());
  XXH3_128bits_update(&state, where.source_key.data(), where.source_key.size());
  update_le64(state, where.position);
  XXH3_128bits_update(&state, raw.data(), raw.size());

  // The canonical (big-endian) form reads as one 128-bit number: high half first.
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(&state));
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof canonical.digest; ++i) {
    out.hex[2 * i] = kHex[canonical.digest[i] >> 4];
    out.hex[2 * i + 1] = kHex[canonical.digest[i] & 0x0f];
  }
}

}  // namespace auditrelay::normalize

namespace auditrelay {

std::string derive_record_id(const RecordPosition& where, std::string_view raw) {
  normalize::RecordId id;
  normalize::derive_record_id_into(where, raw, id);
  return std::string(id.view());
}

}  // namespace auditrelay
