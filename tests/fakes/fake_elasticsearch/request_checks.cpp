#include "tests/fakes/fake_elasticsearch/request_checks.h"

#include <openssl/evp.h>
#include <strings.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>

#include "tests/fakes/fake_elasticsearch/es_response.h"

namespace auditrelay::fakes::es {
namespace {

// Inflated bodies larger than this are refused rather than exhausting memory.
constexpr size_t kMaxInflated = size_t{2} << 30;

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "Scheme credentials" with the scheme compared case-insensitively.
bool has_scheme(std::string_view header, std::string_view scheme, std::string_view* value) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  if (strncasecmp(header.data(), scheme.data(), scheme.size()) != 0) return false;
  *value = trim(header.substr(scheme.size() + 1));
  return true;
}

}  // namespace

Credentials::Credentials(std::string api_key, const std::string& user, const std::string& password,
                         std::string bearer)
    : api_key_(std::move(api_key)),
      basic_(user.empty() ? "" : base64(user + ":" + password)),
      user_(user),
      bearer_(std::move(bearer)) {}

std::optional<FakeResponse> Credentials::check(const http::Request& request,
                                               const FilterPath& filter) const {
  if (!required()) return std::nullopt;
  std::string header = request.header("Authorization");
  std::string_view value;
  std::string reason;
  if (header.empty()) {
    reason = "missing authentication credentials for REST request [" + request.url + "]";
  } else if (has_scheme(header, "ApiKey", &value) || has_scheme(header, "Bearer", &value)) {
    bool api = strncasecmp(header.data(), "ApiKey", 6) == 0;
    const std::string& expected = api ? api_key_ : bearer_;
    if (!expected.empty() && value == expected) return std::nullopt;
    reason =
        "unable to authenticate with provided credentials and anonymous access is not "
        "allowed for this request";
  } else if (has_scheme(header, "Basic", &value)) {
    if (!basic_.empty() && value == basic_) return std::nullopt;
    // The real message names the user; the fake never echoes credentials it was sent.
    reason = "unable to authenticate user [" + (user_.empty() ? std::string("?") : user_) +
             "] for REST request [" + request.url + "]";
  } else {
    reason = "missing authentication credentials for REST request [" + request.url + "]";
  }
  static const char* kChallenges[] = {"Basic realm=\"security\", charset=\"UTF-8\"",
                                      "Bearer realm=\"security\"", "ApiKey"};
  FakeResponse response =
      error_response(401, "security_exception", reason, filter, [](JsonOut& out) {
        out.Key("header");
        out.StartObject();
        out.Key("WWW-Authenticate");
        out.StartArray();
        for (const char* challenge : kChallenges)
          out.String(challenge);
        out.EndArray();
        out.EndObject();
      });
  for (const char* challenge : kChallenges)
    response.headers.emplace_back("WWW-Authenticate", challenge);
  return response;
}

std::optional<FakeResponse> check_content_type(const http::Request& request) {
  std::string header = request.header("Content-Type");
  if (header.empty()) return plain_error(406, "Content-Type header is missing");
  std::string_view rest(header);
  auto semicolon = rest.find(';');
  std::string type = lower(trim(rest.substr(0, semicolon)));
  bool versioned = type == "application/vnd.elasticsearch+json" ||
                   type == "application/vnd.elasticsearch+x-ndjson";
  bool ok = type == "application/json" || type == "application/x-ndjson" || versioned;
  bool compatible = !versioned;
  while (ok && semicolon != std::string_view::npos) {
    rest.remove_prefix(semicolon + 1);
    semicolon = rest.find(';');
    std::string parameter = lower(trim(rest.substr(0, semicolon)));
    if (parameter == "charset=utf-8" || parameter.empty()) continue;
    if (versioned && (parameter == "compatible-with=8" || parameter == "compatible-with=7")) {
      compatible = true;
      continue;
    }
    ok = false;
  }
  if (ok && compatible) return std::nullopt;
  return plain_error(406, "Content-Type header [" + header + "] is not supported");
}

DecodedBody decode_body(const http::Request& request, std::string& storage) {
  DecodedBody decoded{.bytes = request.body};
  std::string encoding = lower(trim(request.header("Content-Encoding")));
  if (encoding.empty() || encoding == "identity") return decoded;
  bool gzip = encoding == "gzip" || encoding == "x-gzip";
  if (!gzip && encoding != "deflate") {
    decoded.error = "unsupported Content-Encoding [" + encoding + "]";
    return decoded;
  }
  decoded.compressed = true;
  z_stream z{};
  // gzip: 16 + window bits; deflate (RFC 9110 §8.4.1.2) is the zlib format.
  if (inflateInit2(&z, gzip ? 15 + 16 : 15) != Z_OK) {
    decoded.error = "inflateInit2 failed";
    return decoded;
  }
  storage.resize(std::max<size_t>(request.body.size() * 6, 64 * 1024));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(request.body.data()));
  z.avail_in = static_cast<uInt>(request.body.size());
  size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == storage.size()) {
      if (storage.size() >= kMaxInflated) {
        rc = Z_MEM_ERROR;
        break;
      }
      storage.resize(storage.size() * 2);
    }
    z.next_out = reinterpret_cast<Bytef*>(storage.data() + produced);
    z.avail_out = static_cast<uInt>(std::min<size_t>(storage.size() - produced, 1u << 30));
    uInt before = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    produced += before - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      // Several gzip members in a row are one body (RFC 1952 §2.2).
      if (!gzip || inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0)) break;
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      rc = Z_DATA_ERROR;  // truncated: input ended before the stream did
      break;
    }
  }
  if (rc != Z_STREAM_END || z.avail_in != 0) {
    decoded.error = std::string("failed to decompress the request body: ") +
                    (z.msg != nullptr ? z.msg : "truncated or corrupt stream");
  }
  inflateEnd(&z);
  storage.resize(produced);
  decoded.bytes = storage;
  return decoded;
}

}  // namespace auditrelay::fakes::es
