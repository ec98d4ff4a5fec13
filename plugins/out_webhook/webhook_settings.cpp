#include "plugins/out_webhook/webhook_settings.h"

#include <cctype>

#include "plugins/out_webhook/signature.h"

namespace auditrelay::webhook {
namespace {

bool valid_header(std::string_view header) {
  const size_t colon = header.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (char c : header.substr(0, colon)) {
    if (c <= ' ' || c >= 127) return false;
  }
  return header.find_first_of("\r\n") == std::string_view::npos;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Headers the output sets itself: overriding them would break the signature or the body.
bool reserved_header(std::string_view header) {
  const std::string name = lower(header.substr(0, header.find(':')));
  return name.rfind("webhook-", 0) == 0 || name == "content-type" || name == "content-length";
}

}  // namespace

void validate(const Settings& settings) {
  const std::string& url = settings.string("url");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw settings.error("url", "'" + url + "' is not an http:// or https:// URL");
  }
  if (url.find_first_of(" \r\n\t") != std::string::npos) {
    throw settings.error("url", "must not contain spaces or line breaks");
  }
  if (settings.strings("events").empty()) {
    throw settings.error("events", "must list at least one event type");
  }
  for (const std::string& event : settings.strings("events")) {
    if (!parse_event_type(event)) {
      throw settings.error("events", "'" + event +
                                         "' is not one of governance.request.blocked, "
                                         "governance.request.warned, "
                                         "governance.request.rewritten, "
                                         "governance.request.allowed");
    }
  }
  // A secret's text is never repeated in an error: only which one is wrong.
  if (!settings.has("secret") &&
      (!settings.has("secrets") || settings.strings("secrets").empty())) {
    throw settings.error("secret", "set secret (or secret_file) or secrets: events are signed");
  }
  if (settings.has("secret") && !secret_key(settings.string("secret"))) {
    throw settings.error("secret", "must be whsec_ followed by the base64 of the key");
  }
  if (settings.has("secrets")) {
    const auto& secrets = settings.strings("secrets");
    for (size_t i = 0; i < secrets.size(); ++i) {
      if (!secret_key(secrets[i])) {
        throw settings.error("secrets", "item " + std::to_string(i + 1) +
                                            " must be whsec_ followed by the base64 of the key");
      }
    }
  }
  if (settings.has("headers")) {
    for (const std::string& header : settings.strings("headers")) {
      // The header itself may hold a secret: name the problem, not the text.
      if (!valid_header(header)) throw settings.error("headers", "each must be \"Name: value\"");
      if (reserved_header(header)) {
        throw settings.error("headers",
                             "'" + header.substr(0, header.find(':')) +
                                 "' is set by the output itself (Content-Type, Content-Length "
                                 "and webhook-* cannot be overridden)");
      }
    }
  }
  delivery::validate_delivery_settings(settings);
}

std::vector<std::string> signing_secrets(const Settings& settings) {
  std::vector<std::string> secrets;
  if (settings.has("secret")) secrets.push_back(settings.string("secret"));
  if (settings.has("secrets")) {
    for (const std::string& secret : settings.strings("secrets"))
      secrets.push_back(secret);
  }
  return secrets;
}

EventTypes wanted_events(const Settings& settings) {
  EventTypes types;
  for (const std::string& event : settings.strings("events")) {
    if (std::optional<EventType> type = parse_event_type(event)) types.add(*type);
  }
  return types;
}

std::vector<std::string> request_headers(const Settings& settings) {
  std::vector<std::string> headers{"Content-Type: application/json"};
  if (settings.has("headers")) {
    for (const std::string& header : settings.strings("headers"))
      headers.push_back(header);
  }
  return headers;
}

}  // namespace auditrelay::webhook
