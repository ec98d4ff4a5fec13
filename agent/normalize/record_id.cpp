#include "agent/normalize/record_id.h"

#include <xxhash.h>

#include <cstdint>

namespace auditrelay::normalize {

void derive_record_id_into(const RecordPosition& where, std::string_view raw, RecordId& out) {
  // Two one-shot hashes (the streaming API costs about twice as much per record): the source
  // key hashed with the position as seed gives a 64-bit seed unique to (key, position), and
  // the record's bytes hashed with that seed give the 128-bit id.
  const XXH64_hash_t seed =
      XXH3_64bits_withSeed(where.source_key.data(), where.source_key.size(), where.position);
  const XXH128_hash_t hash = XXH3_128bits_withSeed(raw.data(), raw.size(), seed);

  // The canonical (big-endian) form reads as one 128-bit number: high half first.
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
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
