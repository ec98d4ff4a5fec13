#include "plugins/out_elasticsearch/es_probe.h"

#include <rapidjson/document.h>

#include <cctype>
#include <string>
#include <vector>

#include "agent/core/peer_json.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_probe.h"
#include "plugins/out_elasticsearch/es_settings.h"

namespace auditrelay::elasticsearch {
namespace {

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The output's headers without those of a bulk body: GET / has none.
std::vector<std::string> probe_headers(const Settings& settings, bool& has_credentials) {
  std::vector<std::string> headers;
  has_credentials = false;
  for (const std::string& h : request_headers(settings)) {
    std::string name = lower(h.substr(0, h.find(':')));
    if (name == "content-type" || name == "content-encoding") continue;
    if (name == "authorization") has_credentials = true;
    headers.push_back(h);
  }
  return headers;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = member(object, name);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

// Elasticsearch's explanation in an error answer ("type: reason"), else the body's start; on
// one line and short.
std::string es_reason(const std::string& body) {
  std::string reason;
  rapidjson::Document doc;
  parse_peer_json(doc, body);
  if (!doc.HasParseError() && doc.IsObject()) {
    if (const rapidjson::Value* e = member(doc, "error")) {
      if (e->IsString()) reason = e->GetString();
      std::string type = string_member(*e, "type");
      std::string why = string_member(*e, "reason");
      if (!why.empty()) reason = type.empty() ? why : type + ": " + why;
    }
  }
  if (reason.empty()) reason = body;
  for (char& c : reason)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (reason.size() > 200) reason = reason.substr(0, 200) + "...";
  return reason;
}

}  // namespace

ProbeResult judge_root_answer(const delivery::HttpResponse& response, bool has_credentials) {
  const std::string credentials = has_credentials ? "credentials accepted" : "no credentials set";
  switch (response.status) {
    case 0:
      return {.ok = false, .message = "no answer: " + response.error};
    case 200: {
      rapidjson::Document doc;
      parse_peer_json(doc, response.body);
      const rapidjson::Value* version = doc.HasParseError() ? nullptr : member(doc, "version");
      std::string number = version != nullptr ? string_member(*version, "number") : "";
      if (number.empty()) {
        return {.ok = false,
                .message =
                    "answered 200 to GET / but not as Elasticsearch does (no "
                    "version.number): check that hosts point at Elasticsearch"};
      }
      std::string product = string_member(*version, "distribution") == "opensearch"
                                ? "OpenSearch "
                                : "Elasticsearch ";
      return {.ok = true,
              .message = product + number + ", cluster \"" + string_member(doc, "cluster_name") +
                         "\", " + credentials};
    }
    case 401:
      // Elasticsearch's reason would name the user; the hint is what helps.
      return {.ok = false,
              .message = has_credentials
                             ? "Elasticsearch refused the credentials (401): check this "
                               "output's api_key, user/password or bearer"
                             : "Elasticsearch requires credentials (401): set this output's "
                               "api_key, user/password or bearer"};
    case 403:
      // GET / needs the `monitor` cluster privilege; an ingest-only key rightly lacks it.
      return {.ok = true,
              .message = has_credentials
                             ? "reachable, credentials accepted; the key lacks the monitor "
                               "privilege for GET /, which writing does not need"
                             : "reachable, no credentials set; anonymous access lacks the "
                               "monitor privilege for GET /, which writing does not need"};
    default:
      return {.ok = false,
              .message = "answered " + std::to_string(response.status) +
                         " to GET /: " + es_reason(response.body)};
  }
}

ProbeResult probe(const Settings& settings, const OutputContext& context) {
  bool has_credentials = false;
  const std::vector<std::string> headers = probe_headers(settings, has_credentials);
  const std::vector<std::string>& hosts = settings.strings("hosts");
  delivery::BlockingHttpClient client(delivery::delivery_options(settings, context.state_dir).http);

  // Every host: the output sends to each in turn, so each must work.
  ProbeResult result{.ok = true};
  for (const std::string& host : hosts) {
    std::string url = host;
    while (!url.empty() && url.back() == '/')
      url.pop_back();
    delivery::HttpRequest request;
    request.method = "GET";
    request.url = url + "/";
    request.headers = headers;
    ProbeResult one = judge_root_answer(client.send(std::move(request)), has_credentials);
    const std::string shown = delivery::display_url(host);
    result.ok = result.ok && one.ok;
    result.target += (result.target.empty() ? "" : ", ") + shown;
    if (hosts.size() == 1) {
      result.message = std::move(one.message);
    } else {
      result.message += (result.message.empty() ? "" : "; ") + shown + ": " +
                        (one.ok ? "ok, " : "FAILED, ") + one.message;
    }
  }
  return result;
}

}  // namespace auditrelay::elasticsearch
