// Index templates, component templates and ILM policies: what an agent's `setup` command
// writes and reads back.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <ctime>
#include <optional>

#include "tests/fakes/fake_elasticsearch/data_api.h"
#include "tests/fakes/fake_elasticsearch/es_response.h"

namespace auditrelay::fakes::es {
namespace {

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Parses a JSON object body; nullopt (and `error` set) when it is not one.
std::optional<rapidjson::Document> parse_object(const http::Request& request,
                                                const FilterPath& filter, FakeResponse* error) {
  if (auto unsupported = check_content_type(request)) {
    *error = std::move(*unsupported);
    return std::nullopt;
  }
  rapidjson::Document doc;
  doc.Parse(request.body.data(), request.body.size());
  if (doc.HasParseError()) {
    *error = error_response(400, "x_content_parse_exception",
                            "[1:" + std::to_string(doc.GetErrorOffset() + 1) + "] " +
                                rapidjson::GetParseError_En(doc.GetParseError()),
                            filter);
    return std::nullopt;
  }
  if (!doc.IsObject()) {
    *error = error_response(400, "parse_exception", "request body is required", filter);
    return std::nullopt;
  }
  return doc;
}

std::string iso_time(int64_t unix_ms) {
  std::time_t seconds = unix_ms / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof(millis), ".%03dZ", static_cast<int>(unix_ms % 1000));
  return std::string(text) + millis;
}

FakeResponse not_found(std::string_view reason, const FilterPath& filter) {
  return error_response(404, "resource_not_found_exception", reason, filter);
}

// GET of a named resource (or all of them, or those a wildcard matches), in the
// {"<list_key>":[{"name":..,"<item_key>":{..}}]} form of the template APIs.
template <typename Map, typename Json>
FakeResponse list(const Map& map, std::string_view name, const char* list_key, const char* item_key,
                  const std::string& missing, const FilterPath& filter, Json json_of) {
  std::string body;
  JsonOut out(body, filter);
  out.StartObject();
  out.Key(list_key);
  out.StartArray();
  size_t found = 0;
  for (const auto& [n, value] : map) {
    if (!name.empty() && !wildcard_match(name, n)) continue;
    ++found;
    out.StartObject();
    out.Field("name", n);
    out.Key(item_key);
    out.Raw(json_of(value));
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  if (found == 0 && !name.empty() && name.find('*') == std::string_view::npos)
    return not_found(missing, filter);
  return json_response(200, std::move(body));
}

}  // namespace

FakeResponse DataApi::index_template(const http::Request& request, std::string_view name_view,
                                     const FilterPath& filter) {
  std::string name(name_view);
  const std::string& method = request.method;
  std::string missing = "index template matching [" + name + "] not found";
  if (method == "GET" || (method == "HEAD" && name.empty())) {
    return list(cluster_.store.index_templates(), name, "index_templates", "index_template",
                missing, filter,
                [](const IndexTemplate& t) -> const std::string& { return t.json; });
  }
  if (name.empty()) return method_not_allowed(request, "GET");
  if (method == "HEAD") {
    bool exists = cluster_.store.index_templates().count(name) != 0;
    return json_response(exists ? 200 : 404, "");
  }
  if (method == "DELETE") {
    return cluster_.store.delete_index_template(name) ? acknowledged(filter)
                                                      : not_found(missing, filter);
  }
  if (method != "PUT" && method != "POST")
    return method_not_allowed(request, "GET, HEAD, PUT, POST, DELETE");
  FakeResponse error;
  auto doc = parse_object(request, filter, &error);
  if (!doc) return error;
  IndexTemplate stored;
  if (doc->HasMember("index_patterns")) {
    const auto& patterns = (*doc)["index_patterns"];
    if (patterns.IsString()) stored.index_patterns.emplace_back(patterns.GetString());
    if (patterns.IsArray()) {
      for (const auto& p : patterns.GetArray())
        if (p.IsString()) stored.index_patterns.emplace_back(p.GetString());
    }
  }
  if (stored.index_patterns.empty())
    return error_response(400, "action_request_validation_exception",
                          "Validation Failed: 1: index patterns are missing;", filter);
  stored.data_stream = doc->HasMember("data_stream") && (*doc)["data_stream"].IsObject();
  if (doc->HasMember("priority") && (*doc)["priority"].IsInt64())
    stored.priority = (*doc)["priority"].GetInt64();
  stored.json = compact(*doc);
  cluster_.store.put_index_template(name, std::move(stored));
  return acknowledged(filter);
}

FakeResponse DataApi::component_template(const http::Request& request, std::string_view name_view,
                                         const FilterPath& filter) {
  std::string name(name_view);
  auto& components = cluster_.store.component_templates();
  std::string missing = "component template matching [" + name + "] not found";
  const std::string& method = request.method;
  if (method == "GET") {
    return list(components, name, "component_templates", "component_template", missing, filter,
                [](const std::string& json) -> const std::string& { return json; });
  }
  if (name.empty()) return method_not_allowed(request, "GET");
  if (method == "HEAD") return json_response(components.count(name) ? 200 : 404, "");
  if (method == "DELETE") {
    return components.erase(name) != 0 ? acknowledged(filter) : not_found(missing, filter);
  }
  if (method != "PUT" && method != "POST")
    return method_not_allowed(request, "GET, HEAD, PUT, POST, DELETE");
  FakeResponse error;
  auto doc = parse_object(request, filter, &error);
  if (!doc) return error;
  if (!doc->HasMember("template"))
    return error_response(400, "action_request_validation_exception",
                          "Validation Failed: 1: template is missing;", filter);
  components[name] = compact(*doc);
  return acknowledged(filter);
}

FakeResponse DataApi::lifecycle_policy(const http::Request& request, std::string_view name_view,
                                       const FilterPath& filter) {
  std::string name(name_view);
  auto& policies = cluster_.store.policies();
  const std::string& method = request.method;
  if (method == "GET") {
    std::string body;
    JsonOut out(body, filter);
    out.StartObject();
    size_t found = 0;
    for (const auto& [n, policy] : policies) {
      if (!name.empty() && !wildcard_match(name, n)) continue;
      ++found;
      out.Key(n);
      out.StartObject();
      out.Field("version", policy.version);
      out.Field("modified_date", iso_time(policy.modified_ms));
      out.Key("policy");
      out.Raw(policy.json);
      out.Key("in_use_by");
      out.StartObject();
      for (const char* kind : {"indices", "data_streams", "composable_templates"}) {
        out.Key(kind);
        out.StartArray();
        out.EndArray();
      }
      out.EndObject();
      out.EndObject();
    }
    out.EndObject();
    if (found == 0 && !name.empty() && name.find('*') == std::string::npos)
      return not_found("Lifecycle policy not found: " + name, filter);
    return json_response(200, std::move(body));
  }
  if (name.empty()) return method_not_allowed(request, "GET");
  if (method == "DELETE") {
    return policies.erase(name) != 0 ? acknowledged(filter)
                                     : not_found("Lifecycle policy not found: " + name, filter);
  }
  if (method != "PUT") return method_not_allowed(request, "GET, PUT, DELETE");
  FakeResponse error;
  auto doc = parse_object(request, filter, &error);
  if (!doc) return error;
  if (!doc->HasMember("policy") || !(*doc)["policy"].IsObject())
    return error_response(400, "x_content_parse_exception",
                          "[1:2] [put_lifecycle_request] failed to parse field [policy]", filter);
  LifecyclePolicy& policy = policies[name];
  policy.json = compact((*doc)["policy"]);
  policy.version++;
  policy.modified_ms =
      std::chrono::system_clock::now().time_since_epoch() / std::chrono::milliseconds(1);
  return acknowledged(filter);
}

}  // namespace auditrelay::fakes::es
