// The byte buffer documents are written to. rapidjson's Writer copies strings with its SSE2
// path where the build enables it (RAPIDJSON_SSE2, set for x86-64 in CMakeLists.txt).
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace auditrelay::normalize {

using OutputBuffer = rapidjson::StringBuffer;

}  // namespace auditrelay::normalize
