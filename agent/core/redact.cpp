#include "agent/core/redact.h"

namespace auditrelay {

std::string redact_url_passwords(std::string text) {
  static constexpr std::string_view kRedacted = "<redacted>";
  size_t from = 0;
  while ((from = text.find("://", from)) != std::string::npos) {
    const size_t start = from + 3;
    // The authority (userinfo@host:port) ends where the path, query or fragment starts, or
    // where the URL itself ends inside a longer text.
    size_t end = text.find_first_of("/?#\\ \t\r\n\"'<>", start);
    if (end == std::string::npos) end = text.size();
    const size_t at = text.rfind('@', end == start ? start : end - 1);
    const size_t colon = text.find(':', start);
    if (at != std::string::npos && at >= start && colon < at) {
      text.replace(colon + 1, at - colon - 1, kRedacted);
      from = colon + 1 + kRedacted.size() + 1;
    } else {
      from = start;
    }
  }
  return text;
}

}  // namespace auditrelay
