#include "plugins/out_webhook/signature.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

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

void Signer::MacContextFree::operator()(EVP_MAC_CTX* ctx) const {
  EVP_MAC_CTX_free(ctx);
}

Signer::Signer(const std::vector<std::string>& secrets) {
  std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                         &EVP_MAC_free);
  if (!hmac) throw std::runtime_error("OpenSSL has no HMAC");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  for (const std::string& secret : secrets) {
    std::optional<std::string> key = secret_key(secret);
    if (!key) throw std::invalid_argument("a signing secret is not whsec_ followed by base64");
    keyed_.emplace_back(EVP_MAC_CTX_new(hmac.get()));
    if (!keyed_.back() ||
        EVP_MAC_init(keyed_.back().get(), reinterpret_cast<const unsigned char*>(key->data()),
                     key->size(), params) != 1) {
      throw std::runtime_error("cannot set up HMAC-SHA256");  // only out of memory
    }
    OPENSSL_cleanse(key->data(), key->size());
  }
}

std::string Signer::sign(std::string_view id, int64_t timestamp, std::string_view body) const {
  // The signed content, "<id>.<timestamp>.<body>", built once for every key.
  std::string content;
  const std::string seconds = std::to_string(timestamp);
  content.reserve(id.size() + seconds.size() + body.size() + 2);
  content.append(id).append(1, '.').append(seconds).append(1, '.').append(body);

  std::string header;
  for (const auto& keyed : keyed_) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t length = 0;
    const std::unique_ptr<EVP_MAC_CTX, MacContextFree> ctx(EVP_MAC_CTX_dup(keyed.get()));
    if (!ctx ||
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(content.data()),
                       content.size()) != 1 ||
        EVP_MAC_final(ctx.get(), mac, &length, sizeof mac) != 1) {
      throw std::runtime_error("HMAC-SHA256 failed");  // only out of memory
    }
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += base64_encode({reinterpret_cast<const char*>(mac), length});
  }
  return header;
}

}  // namespace auditrelay::webhook
