#include "tests/fakes/fake_elasticsearch/es_response.h"

namespace auditrelay::fakes::es {
namespace {

void error_object(JsonOut& out, std::string_view type, std::string_view reason,
                  const ErrorFields& extra) {
  out.Field("type", type);
  out.Field("reason", reason);
  if (extra) extra(out);
}

}  // namespace

FakeResponse json_response(int status, std::string body) {
  FakeResponse response{{.status = status}};
  response.headers.reserve(2);
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("X-elastic-product", "Elasticsearch");
  response.body = std::move(body);
  return response;
}

FakeResponse error_response(int status, std::string_view type, std::string_view reason,
                            const FilterPath& filter, const ErrorFields& extra) {
  std::string body;
  JsonOut out(body, filter);
  out.StartObject();
  out.Key("error");
  out.StartObject();
  out.Key("root_cause");
  out.StartArray();
  out.StartObject();
  error_object(out, type, reason, extra);
  out.EndObject();
  out.EndArray();
  error_object(out, type, reason, extra);
  out.EndObject();
  out.Field("status", status);
  out.EndObject();
  return json_response(status, std::move(body));
}

FakeResponse index_not_found(std::string_view name, const FilterPath& filter) {
  return error_response(404, "index_not_found_exception",
                        "no such index [" + std::string(name) + "]", filter, [&](JsonOut& out) {
                          out.Field("resource.type", "index_or_alias");
                          out.Field("resource.id", name);
                          out.Field("index_uuid", "_na_");
                          out.Field("index", name);
                        });
}

FakeResponse plain_error(int status, std::string_view message) {
  std::string body;
  FilterPath none;
  JsonOut out(body, none);
  out.StartObject();
  out.Field("error", message);
  out.Field("status", status);
  out.EndObject();
  return json_response(status, std::move(body));
}

FakeResponse acknowledged(const FilterPath& filter) {
  std::string body;
  JsonOut out(body, filter);
  out.StartObject();
  out.Field("acknowledged", true);
  out.EndObject();
  return json_response(200, std::move(body));
}

}  // namespace auditrelay::fakes::es
