// Passwords in URLs ("https://user:password@host") kept out of what the agent shows: logs,
// `check` output, error messages.
#pragma once

#include <string>
#include <string_view>

namespace auditrelay {

// Whether `text` may hold a URL with a password (cheap: no allocation).
inline bool may_hold_url_password(std::string_view text) {
  return text.find('@') != std::string_view::npos && text.find("://") != std::string_view::npos;
}

// `text` with the password of every "scheme://user:password@" in it replaced by <redacted>.
std::string redact_url_passwords(std::string text);

}  // namespace auditrelay
