// JSON a peer sent (a receiver's answer, a proxy's error page, the agent's own status read back
// by the CLI), parsed iteratively: a body nested thousands of levels deep would overflow the
// stack in rapidjson's default, recursive parser (found by tests/fuzz).
#pragma once

#include <rapidjson/document.h>

#include <string_view>

namespace auditrelay {

inline void parse_peer_json(rapidjson::Document& doc, std::string_view body) {
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
}

}  // namespace auditrelay
