#include "plugins/out_elasticsearch/es_settings.h"

#include <array>
#include <string_view>

#include "agent/core/dead_letter.h"
#include "agent/core/redact.h"

namespace auditrelay::elasticsearch {
namespace {

bool valid_header(std::string_view header) {
  size_t colon = header.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (char c : header.substr(0, colon)) {
    if (c <= ' ' || c >= 127) return false;
  }
  return header.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

bool valid_index_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  if (name[0] == '-' || name[0] == '_' || name[0] == '+') return false;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') return false;
    if (std::string_view("\\/*?\"<>|,#: ").find(c) != std::string_view::npos) return false;
  }
  return true;
}

void validate(const Settings& settings) {
  const auto& hosts = settings.strings("hosts");
  if (hosts.empty()) throw settings.error("hosts", "needs at least one URL");
  for (const std::string& host : hosts) {
    if (host.rfind("http://", 0) != 0 && host.rfind("https://", 0) != 0) {
      throw settings.error(
          "hosts", "'" + redact_url_passwords(host) + "' is not an http:// or https:// URL");
    }
  }
  if (settings.has("index") && !valid_index_name(settings.string("index"))) {
    throw settings.error("index",
                         "'" + settings.string("index") +
                             "' is not a valid index name (lower case; none of \\ / * ? \" < > | "
                             ", # : or space; not starting with - _ +)");
  }
  int methods = settings.has("api_key") + settings.has("user") + settings.has("bearer");
  if (methods > 1) {
    throw settings.error(settings.has("bearer") ? "bearer" : "user",
                         "set one of api_key, user/password or bearer");
  }
  if (settings.has("user") != settings.has("password")) {
    throw settings.error(settings.has("user") ? "user" : "password",
                         "user and password go together");
  }
  if (settings.has("headers")) {
    for (const std::string& header : settings.strings("headers")) {
      // The header itself may hold a secret: name the problem, not the text.
      if (!valid_header(header)) throw settings.error("headers", "each must be \"Name: value\"");
    }
  }
  delivery::validate_delivery_settings(settings);
}

std::vector<std::string> request_headers(const Settings& settings) {
  std::vector<std::string> headers{"Content-Type: application/x-ndjson"};
  if (settings.has("api_key")) {
    const std::string& key = settings.string("api_key");
    // id:key is encoded here; the encoded form (what Kibana shows) has no colon.
    headers.push_back("Authorization: ApiKey " +
                      (key.find(':') != std::string::npos ? base64_encode(key) : key));
  } else if (settings.has("user")) {
    headers.push_back("Authorization: Basic " +
                      base64_encode(settings.string("user") + ":" + settings.string("password")));
  } else if (settings.has("bearer")) {
    headers.push_back("Authorization: Bearer " + settings.string("bearer"));
  }
  if (settings.string("compression") == "gzip") headers.push_back("Content-Encoding: gzip");
  if (settings.has("headers")) {
    for (const std::string& header : settings.strings("headers"))
      headers.push_back(header);
  }
  return headers;
}

}  // namespace auditrelay::elasticsearch
