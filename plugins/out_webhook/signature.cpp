#include "plugins/out_webhook/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace auditrelay::webhook {
namespace {

bool base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');  // + the NUL EVP_EncodeBlock writes
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // EVP_DecodeBlock skips surrounding whitespace, and accepts '=' where strict base64 does
  // not: check the form first.
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
    ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (!base64_char(text[i])) return std::nullopt;
  }
  if (text.empty()) return std::string();
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock decodes the padding as zero bytes and counts them: drop one per '='.
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::optional<std::string> secret_key(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::optional<std::string> key = base64_decode(secret.substr(kPrefix.size()));
  if (!key || key->empty()) return std::nullopt;
  return key;
}

Signer::Signer(const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    std::optional<std::string> key = secret_key(secret);
    if (!key) throw std::invalid_argument("a signing secret is not whsec_ followed by base64");
    keys_.push_back(std::move(*key));
  }
}

std::string Signer::sign(std::string_view id, int64_t timestamp, std::string_view body) const {
  // The signed content, "<id>.<timestamp>.<body>", built once for every key.
  std::string content;
  const std::string seconds = std::to_string(timestamp);
  content.reserve(id.size() + seconds.size() + body.size() + 2);
  content.append(id).append(1, '.').append(seconds).append(1, '.').append(body);

  std::string header;
  for (const std::string& key : keys_) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac,
             &length) == nullptr) {
      throw std::runtime_error("HMAC-SHA256 failed");  // only out of memory
    }
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += base64_encode({reinterpret_cast<const char*>(mac), length});
  }
  return header;
}

}  // namespace auditrelay::webhook
