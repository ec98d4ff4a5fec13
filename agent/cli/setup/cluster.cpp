#include "agent/cli/setup/cluster.h"

#include <rapidjson/document.h>

#include <cctype>
#include <stdexcept>
#include <utility>
#include <variant>

#include "agent/cli/setup/replace_all.h"
#include "agent/cli/setup/setup_error.h"
#include "agent/core/peer_json.h"
#include "agent/delivery/delivery_settings.h"
#include "plugins/out_elasticsearch/es_settings.h"

namespace auditrelay::cli::setup {
namespace {

using delivery::HttpResponse;

// The output's headers for JSON requests: its credentials and extra headers, without the
// bulk body's Content-Type and Content-Encoding.
std::vector<std::string> json_headers(const Settings& settings) {
  std::vector<std::string> headers{"Content-Type: application/json"};
  for (const std::string& h : elasticsearch::request_headers(settings)) {
    std::string name = h.substr(0, h.find(':'));
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "content-type" && name != "content-encoding") headers.push_back(h);
  }
  return headers;
}

// Every secret of the output as it could come back in a message: the configured values and
// the header values derived from them (a Basic header decodes to the password).
std::vector<std::string> secrets_of(const Settings& settings,
                                    const std::vector<std::string>& headers) {
  std::vector<std::string> secrets;
  for (const auto& [key, entry] : settings.entries()) {
    if (!entry.secret) continue;
    if (const auto* s = std::get_if<std::string>(&entry.value)) secrets.push_back(*s);
    if (const auto* list = std::get_if<std::vector<std::string>>(&entry.value))
      secrets.insert(secrets.end(), list->begin(), list->end());
  }
  for (const std::string& h : headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || h.starts_with("Content-Type:")) continue;
    std::string value = h.substr(colon + 1);
    secrets.push_back(value);
    if (size_t space = value.rfind(' '); space != std::string::npos)
      secrets.push_back(value.substr(space + 1));  // the token of "ApiKey <token>"
  }
  return secrets;
}

// Elasticsearch's own explanation in an error answer ("type: reason"), else the body's start.
std::string es_reason(const std::string& body) {
  std::string reason;
  rapidjson::Document doc;
  parse_peer_json(doc, body);
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error")) {
    const auto& e = doc["error"];
    if (e.IsString()) reason = e.GetString();
    if (e.IsObject() && e.HasMember("reason") && e["reason"].IsString()) {
      reason = e["reason"].GetString();
      if (e.HasMember("type") && e["type"].IsString())
        reason = std::string(e["type"].GetString()) + ": " + reason;
    }
  }
  if (reason.empty()) reason = body;
  for (char& c : reason)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (reason.size() > 300) reason = reason.substr(0, 300) + "...";
  return reason;
}

}  // namespace

Cluster::Cluster(const InstanceConfig& output, const std::filesystem::path& state_dir)
    : hosts_(output.settings.strings("hosts")),
      headers_(json_headers(output.settings)),
      secrets_(secrets_of(output.settings, headers_)) {
  try {
    client_ = std::make_unique<delivery::BlockingHttpClient>(
        delivery::delivery_options(output.settings, state_dir).http);
  } catch (const std::runtime_error& e) {
    throw SetupError(e.what());
  }
}

HttpResponse Cluster::request(const std::string& method, const std::string& path,
                              const std::string& body) {
  if (!base_url_.empty()) {
    HttpResponse r = send(base_url_, method, path, body);
    if (r.status == 0)
      throw SetupError(host_ + ": no answer to " + method + " " + path + ": " + redact(r.error));
    return r;
  }
  std::string errors;
  for (const std::string& url : hosts_) {
    HttpResponse r = send(url, method, path, body);
    // 502-504: a proxy in front of a node that is down, as the output judges it too.
    if (r.status != 0 && r.status != 502 && r.status != 503 && r.status != 504) {
      base_url_ = url;
      host_ = delivery::display_url(url);
      return r;
    }
    errors += (errors.empty() ? "" : "; ") + delivery::display_url(url) + ": " +
              (r.status != 0 ? "answered " + std::to_string(r.status) : redact(r.error));
  }
  throw SetupError("no host answered (" + errors + ")");
}

std::string Cluster::redact(std::string text) const {
  for (const std::string& s : secrets_)
    if (s.size() >= 4) text = replace_all(std::move(text), s, "***");
  return text;
}

HttpResponse Cluster::send(std::string url, const std::string& method, const std::string& path,
                           const std::string& body) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  delivery::HttpRequest request;
  request.method = method;
  request.url = url + path;
  request.headers = headers_;
  if (method == "PUT" || method == "POST") request.body = std::make_shared<const std::string>(body);
  return client_->send(std::move(request));
}

[[noreturn]] void fail(const Cluster& cluster, const std::string& method, const std::string& path,
                       const HttpResponse& r) {
  std::string what = method + " " + path;
  std::string status = std::to_string(r.status);
  std::string reason = cluster.redact(es_reason(r.body));
  if (r.status == 401) {
    // Elasticsearch's reason would name the user; the hint is what helps.
    throw SetupError(cluster.host() + " refused the credentials (401 to " + what +
                     "): check the output's api_key, user/password or bearer");
  }
  if (r.status == 403 && path.ends_with("/_search")) {
    throw SetupError(cluster.host() + " denied " + what +
                     " (403): the credentials need the read index privilege there (" + reason +
                     ")");
  }
  if (r.status == 403) {
    std::string privilege = path.starts_with("/_ilm/") ? "manage_ilm" : "manage_index_templates";
    throw SetupError(cluster.host() + " denied " + what + " (403): the credentials need the " +
                     privilege + " cluster privilege (" + reason + ")");
  }
  if (r.status == 400) throw SetupError(cluster.host() + " rejected " + what + " (400): " + reason);
  throw SetupError(cluster.host() + " answered " + status + " to " + what + ": " + reason);
}

}  // namespace auditrelay::cli::setup
