#include "plugins/out_splunk_hec/hec_settings.h"

#include <unistd.h>

#include <climits>

namespace auditrelay::splunk_hec {

void validate(const Settings& settings) {
  const std::string& url = settings.string("url");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw settings.error("url", "'" + url + "' is not an http:// or https:// URL");
  }
  if (url.find_first_of(" \r\n\t") != std::string::npos) {
    throw settings.error("url", "must not contain spaces or line breaks");
  }
  // The token goes into a header: a line break would split it (the text is not repeated).
  if (settings.string("token").find_first_of("\r\n") != std::string::npos) {
    throw settings.error("token", "must be one line");
  }
  if (settings.string("token").empty()) throw settings.error("token", "must not be empty");
  for (const std::string& path : settings.strings("fields")) {
    if (path.empty() || path.front() == '.' || path.back() == '.' ||
        path.find("..") != std::string::npos) {
      throw settings.error("fields", "'" + path + "' is not a dotted document path");
    }
  }
  if (settings.has("index") && settings.string("index").empty()) {
    throw settings.error("index", "must not be empty (leave it out for the token's default)");
  }
  if (settings.duration("ack_interval").count() <= 0) {
    throw settings.error("ack_interval", "must be longer than 0");
  }
  if (settings.duration("ack_timeout") <= settings.duration("ack_interval")) {
    throw settings.error("ack_timeout", "must be longer than ack_interval");
  }
  if (settings.integer("ack_max_pending") < 1 || settings.integer("ack_max_pending") > 100000) {
    throw settings.error("ack_max_pending", "must be between 1 and 100000");
  }
  delivery::validate_delivery_settings(settings);
}

std::vector<std::string> request_headers(const Settings& settings) {
  std::vector<std::string> headers{"Content-Type: application/json",
                                   "Authorization: Splunk " + settings.string("token")};
  if (settings.string("compression") == "gzip") headers.push_back("Content-Encoding: gzip");
  return headers;
}

namespace {

std::string collector_url(const std::string& base_url, std::string_view endpoint) {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url.append("/services/collector/").append(endpoint);
}

}  // namespace

std::string event_url(const std::string& base_url) {
  return collector_url(base_url, "event");
}

std::string ack_url(const std::string& base_url) {
  return collector_url(base_url, "ack");
}

std::string machine_hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace auditrelay::splunk_hec
