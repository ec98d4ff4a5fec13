#include "tests/fakes/fake_elasticsearch/control_api.h"

#include <rapidjson/document.h>

#include "tests/fakes/fake_elasticsearch/data_api.h"
#include "tests/fakes/fake_elasticsearch/es_response.h"

namespace auditrelay::fakes::es {
namespace {

FakeResponse bad_request(std::string_view message) {
  return plain_error(400, message);
}

FakeResponse ndjson(std::string body) {
  FakeResponse response{{.status = 200}};
  response.headers.emplace_back("Content-Type", "application/x-ndjson");
  response.body = std::move(body);
  return response;
}

}  // namespace

void ControlApi::handle(const http::Request& request, const FakeRespond& respond) {
  respond(route(request));
}

FakeResponse ControlApi::route(const http::Request& request) {
  std::string path = request.path();
  const std::string& method = request.method;
  bool get = method == "GET";
  bool post = method == "POST" || method == "PUT";
  FilterPath none;
  if (path == "/_fake/faults" && post) {
    std::string error = apply_faults(request.body, cluster_.faults, cluster_.random);
    if (!error.empty()) return bad_request(error);
  } else if (path == "/_fake/faults/clear" && post) {
    cluster_.faults = Faults{};
    cluster_.random.seed(cluster_.faults.seed);
  } else if (path == "/_fake/faults" && get) {
    // answered below
  } else if (path == "/_fake/down" && post) {
    rapidjson::Document doc;
    doc.Parse(request.body.data(), request.body.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("ms") || !doc["ms"].IsUint64())
      return bad_request("expected {\"ms\":<milliseconds>}");
    cluster_.go_down(doc["ms"].GetUint64());
    return acknowledged(none);
  } else if (path == "/_fake/reset" && post) {
    cluster_.store.reset();
    cluster_.stats.reset();
    return acknowledged(none);
  } else if (path == "/_fake/stats" && get) {
    std::string body;
    JsonOut out(body, none);
    cluster_.stats.write(out, cluster_.store.indexed(), cluster_.data_connections());
    return json_response(200, std::move(body));
  } else if (path == "/_fake/requests" && get) {
    std::string body;
    JsonOut out(body, none);
    cluster_.stats.write_requests(out);
    return json_response(200, std::move(body));
  } else if (path == "/_fake/last_bulk_headers" && get) {
    std::string body;
    JsonOut out(body, none);
    cluster_.stats.write_last_bulk_headers(out);
    return json_response(200, std::move(body));
  } else if (path == "/_fake/ids" && get) {
    std::string body;
    cluster_.store.write_ids(body);
    return ndjson(std::move(body));
  } else if (path == "/_fake/documents" && get) {
    if (!cluster_.store.stores_documents())
      return bad_request("documents are not kept: start fake_elasticsearch with --store-documents");
    std::string body;
    cluster_.store.write_documents(body);
    return ndjson(std::move(body));
  } else if (path.rfind("/_fake/", 0) == 0 && (get || post)) {
    return plain_error(404, "unknown control endpoint [" + path + "]");
  } else {
    return method_not_allowed(request, "GET, POST");
  }
  // The fault endpoints answer with the settings now in force.
  std::string body;
  JsonOut out(body, none);
  write_faults(out, cluster_.faults);
  return json_response(200, std::move(body));
}

}  // namespace auditrelay::fakes::es
