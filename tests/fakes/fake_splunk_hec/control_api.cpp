#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tests/fakes/fake_splunk_hec/hec.h"

namespace auditrelay::fakes::hec {
namespace {

FakeResponse json_response(int status, std::string body) {
  FakeResponse response{{.status = status}};
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = std::move(body);
  return response;
}

FakeResponse error(int status, const std::string& message) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  out.Key("error");
  out.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  out.EndObject();
  return json_response(status, std::string(buffer.GetString(), buffer.GetSize()));
}

FakeResponse text(std::string body, const char* content_type) {
  FakeResponse response{{.status = 200}};
  response.headers.emplace_back("Content-Type", content_type);
  response.body = std::move(body);
  return response;
}

std::string stats_json(const HecState& state) {
  const Stats& stats = state.stats;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  out.Key("indexed");
  out.Uint64(state.indexed);
  out.Key("requests");
  out.Uint64(stats.requests);
  out.Key("requests_by_code");
  out.StartObject();
  for (const auto& [code, n] : stats.requests_by_code) {
    out.Key(code.data(), static_cast<rapidjson::SizeType>(code.size()));
    out.Uint64(n);
  }
  out.EndObject();
  out.Key("acks_polled");
  out.Uint64(stats.acks_polled);
  out.Key("events_received");
  out.Uint64(stats.events_received);
  out.Key("bytes_received");
  out.Uint64(stats.bytes_received);
  out.Key("never_acked_events");
  out.Uint64(stats.never_acked_events);
  out.Key("connections");
  out.Uint64(state.data_connections ? state.data_connections() : 0);
  out.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

void ControlApi::handle(const http::Request& request, const FakeRespond& respond) {
  respond(route(request));
}

FakeResponse ControlApi::route(const http::Request& request) {
  std::string path = request.path();
  bool get = request.method == "GET";
  bool post = request.method == "POST" || request.method == "PUT";
  if (path == "/_fake/faults" && post) {
    std::string message = apply_faults(request.body, state_.faults, state_.random);
    if (!message.empty()) return error(400, message);
    return json_response(200, faults_json(state_.faults));
  }
  if (path == "/_fake/faults" && get) return json_response(200, faults_json(state_.faults));
  if (path == "/_fake/faults/clear" && post) {
    state_.faults = Faults{};
    state_.random.seed(state_.faults.seed);
    return json_response(200, faults_json(state_.faults));
  }
  if (path == "/_fake/down" && post) {
    rapidjson::Document doc;
    doc.Parse(request.body.data(), request.body.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("ms") || !doc["ms"].IsUint64())
      return error(400, "expected {\"ms\":<milliseconds>}");
    state_.go_down(doc["ms"].GetUint64());
    return json_response(200, "{\"acknowledged\":true}");
  }
  if (path == "/_fake/reset" && post) {
    state_.reset();
    return json_response(200, "{\"acknowledged\":true}");
  }
  if (path == "/_fake/stats" && get) return json_response(200, stats_json(state_));
  if (path == "/_fake/ids" && get) {
    std::string body;
    for (const auto& entry : state_.ids.entries()) {
      body += state_.ids.id(entry);
      body += '\t';
      body += std::to_string(entry.count);
      body += '\n';
    }
    return text(std::move(body), "text/plain");
  }
  if (path == "/_fake/events" && get) {
    return text(state_.events_ndjson(), "application/x-ndjson");
  }
  if (path.rfind("/_fake/", 0) == 0 && (get || post))
    return error(404, "unknown control endpoint [" + path + "]");
  FakeResponse response = error(405, "use GET or POST");
  response.headers.emplace_back("Allow", "GET, POST");
  return response;
}

}  // namespace auditrelay::fakes::hec
