// Standard Webhooks signatures (https://github.com/standard-webhooks/standard-webhooks,
// spec/standard-webhooks.md, "Signature scheme"): HMAC-SHA256 over "<id>.<timestamp>.<body>"
// with the key that a "whsec_<base64>" secret carries, sent as "v1,<base64 MAC>"; with several
// secrets (a key rotation) one such entry each, separated by spaces. Pure (STYLE.md §9).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

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

  // The webhook-signature header value for `body` sent with `id` and `timestamp`. Safe to
  // call from several threads at once.
  std::string sign(std::string_view id, int64_t timestamp, std::string_view body) const;

 private:
  // One HMAC-SHA256 context per secret, keyed once: each signature works on a copy of it
  // (fetching the algorithm and keying it anew cost more than hashing a small event).
  struct MacContextFree {
    void operator()(evp_mac_ctx_st* ctx) const;
  };
  std::vector<std::unique_ptr<evp_mac_ctx_st, MacContextFree>> keyed_;
};

}  // namespace auditrelay::webhook
