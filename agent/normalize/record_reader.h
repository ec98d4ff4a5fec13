// The rapidjson reader the normalizer parses with. Strings are scanned with rapidjson's own
// SSE2 path where the build enables it (RAPIDJSON_SSE2, set for x86-64 in CMakeLists.txt).
#pragma once

#include <rapidjson/reader.h>

#include <cstddef>

namespace auditrelay::normalize {

using RecordReader = rapidjson::Reader;

// rapidjson's SIMD scans load whole aligned 16-byte blocks, which may extend past the
// terminating NUL: the in-situ buffer keeps this many spare bytes after it.
inline constexpr size_t kScanPadding = 16;

}  // namespace auditrelay::normalize
