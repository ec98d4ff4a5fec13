#include "plugins/in_http/bearer_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>

#include <stdexcept>

namespace auditrelay::http_input {
namespace {

std::array<unsigned char, 32> sha256(std::string_view bytes) {
  std::array<unsigned char, 32> out{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != out.size()) {
    throw std::runtime_error("SHA-256 is not available");
  }
  return out;
}

}  // namespace

BearerToken::BearerToken(std::string_view token) : digest_(sha256(token)) {}

bool BearerToken::accepts(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return false;
  }
  std::string_view given = authorization.substr(kScheme.size());
  while (!given.empty() && given.front() == ' ')
    given.remove_prefix(1);
  // Comparing fixed-size digests in constant time: neither the token's bytes nor its length
  // show in how long a wrong guess takes.
  std::array<unsigned char, 32> digest = sha256(given);
  return CRYPTO_memcmp(digest.data(), digest_.data(), digest.size()) == 0;
}

}  // namespace auditrelay::http_input
