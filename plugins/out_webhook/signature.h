// Standard Webhooks signatures (https://github.com/standard-webhooks/standard-webhooks,
// spec/standard-webhooks.md, "Signature scheme"): HMAC-SHA256 over "<id>.<timestamp>.<body>"
// with the key that a "whsec_<base64>" secret carries, sent as "v1,<base64 MAC>"; with several
// secrets (a key rotation) one such entry each, separated by spaces. Pure (STYLE.md §9).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::webhook {

// Standard base64 (RFC 4648 §4, with padding).
std::string base64_encode(std::string_view data);
// Strict: the length a multiple of 4, padding only at the end; nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

// The key of a "whsec_<base64>" secret; nullopt when it is not of that form or the key is
// empty.
std::optional<std::string> secret_key(std::string_view secret);

class Signer {
 public:
  // `secrets` must each pass secret_key() (std::invalid_argument otherwise; the message does
  // not repeat the secret).
  explicit Signer(const std::vector<std::string>& secrets);

  // The webhook-signature header value for `body` sent with `id` and `timestamp`.
  std::string sign(std::string_view id, int64_t timestamp, std::string_view body) const;

 private:
  std::vector<std::string> keys_;  // decoded
};

}  // namespace auditrelay::webhook
