// The HTTP input's `token`: checks an Authorization header without leaking the token through
// timing (its length included).
#pragma once

#include <array>
#include <string_view>

namespace auditrelay::http_input {

class BearerToken {
 public:
  explicit BearerToken(std::string_view token);
  // True when `authorization` is "Bearer <token>" (the scheme in any letter case, RFC 6750).
  bool accepts(std::string_view authorization) const;

 private:
  std::array<unsigned char, 32> digest_{};  // SHA-256 of the token
};

}  // namespace auditrelay::http_input
