#include "tests/fakes/fake_elasticsearch/search.h"

#include <algorithm>
#include <chrono>

#include "tests/fakes/fake_elasticsearch/data_api.h"
#include "tests/fakes/fake_elasticsearch/es_response.h"
#include "tests/fakes/fake_elasticsearch/search_hits.h"

namespace auditrelay::fakes::es {
namespace {

using Json = rapidjson::Value;

// index.max_result_window's default.
constexpr int64_t kMaxResultWindow = 10000;

}  // namespace

std::string search_response(const SearchRequest& request,
                            const std::vector<SearchDocument>& documents, size_t shards,
                            int64_t took_ms, const FilterPath& filter) {
  if (shards > 0 && request.from + request.size > kMaxResultWindow) {
    throw SearchError(
        400, "illegal_argument_exception",
        "Result window is too large, from + size must be less than or equal to: [" +
            std::to_string(kMaxResultWindow) + "] but was [" +
            std::to_string(request.from + request.size) +
            "]. See the scroll api for a more efficient way to request large data sets. This "
            "limit can be set by changing the [index.max_result_window] index level setting.",
        true);
  }
  check_sort_fields(request.sort, documents);
  Documents universe, matched;
  for (const auto& document : documents) {
    universe.push_back(&document);
    if (!request.query || request.query->matches(document)) matched.push_back(&document);
  }

  std::string body;
  JsonOut out(body, filter);
  out.StartObject();
  out.Field("took", took_ms);
  out.Field("timed_out", false);
  out.Key("_shards");
  out.StartObject();
  out.Field("total", static_cast<uint64_t>(shards));
  out.Field("successful", static_cast<uint64_t>(shards));
  out.Field("skipped", 0);
  out.Field("failed", 0);
  out.EndObject();
  write_hits(out, request, matched);
  if (request.has_aggregations) {
    out.Key("aggregations");
    out.StartObject();
    request.aggregations.write_members(out, matched, universe);
    out.EndObject();
  }
  out.EndObject();
  return body;
}

std::set<const Target*> resolve_targets(std::string_view expression,
                                        const std::vector<const Target*>& targets,
                                        std::string* missing) {
  std::set<const Target*> chosen;
  while (!expression.empty()) {
    auto comma = expression.find(',');
    std::string_view item = expression.substr(0, comma);
    expression = comma == std::string_view::npos ? "" : expression.substr(comma + 1);
    bool exclude = item.size() > 1 && item.front() == '-' && !chosen.empty();
    if (exclude) item.remove_prefix(1);
    if (item == "_all") item = "*";
    bool wildcard = item.find('*') != std::string_view::npos;
    bool found = false;
    for (const Target* target : targets) {
      // Wildcards skip the hidden backing indices unless the pattern starts with '.'.
      bool match =
          wildcard_match(item, target->name) ||
          ((!wildcard || item.front() == '.') && wildcard_match(item, target->write_index));
      if (!match) continue;
      found = true;
      exclude ? (void)chosen.erase(target) : (void)chosen.insert(target);
    }
    if (!found && !wildcard && !exclude && !item.empty()) {
      *missing = std::string(item);
      return {};
    }
  }
  return chosen;
}

namespace {

FakeResponse search_error(const SearchError& error, const std::string& index,
                          const FilterPath& filter) {
  if (!error.shard_failure())
    return error_response(error.status(), error.type(), error.what(), filter);
  auto cause = [&](JsonOut& out) {
    out.StartObject();
    out.Field("type", error.type());
    out.Field("reason", error.what());
    out.EndObject();
  };
  std::string body;
  JsonOut out(body, filter);
  out.StartObject();
  out.Key("error");
  out.StartObject();
  out.Key("root_cause");
  out.StartArray();
  cause(out);
  out.EndArray();
  out.Field("type", "search_phase_execution_exception");
  out.Field("reason", "all shards failed");
  out.Field("phase", "query");
  out.Field("grouped", true);
  out.Key("failed_shards");
  out.StartArray();
  out.StartObject();
  out.Field("shard", 0);
  out.Field("index", index);
  out.Field("node", "fake-es-node-id");
  out.Key("reason");
  cause(out);
  out.EndObject();
  out.EndArray();
  out.Key("caused_by");
  cause(out);
  out.EndObject();
  out.Field("status", error.status());
  out.EndObject();
  return json_response(error.status(), std::move(body));
}

// The JSON body (an empty one is {}), with the URL parameters that override its keys.
std::optional<rapidjson::Document> search_body(FakeCluster& cluster, const http::Request& request,
                                               const FilterPath& filter, FakeResponse* refusal) {
  rapidjson::Document body(rapidjson::kObjectType);
  DecodedBody decoded = decode_body(request, cluster.inflated);
  if (!decoded.error.empty()) {
    *refusal = error_response(400, "illegal_argument_exception", decoded.error, filter);
    return std::nullopt;
  }
  if (!decoded.bytes.empty()) {
    if (auto unsupported = check_content_type(request)) {
      *refusal = std::move(*unsupported);
      return std::nullopt;
    }
    body.Parse(decoded.bytes.data(), decoded.bytes.size());
    if (body.HasParseError() || !body.IsObject()) {
      *refusal = error_response(400, "parsing_exception",
                                body.HasParseError() ? "failed to parse the search body as JSON"
                                                     : "Expected [START_OBJECT] but found a value",
                                filter);
      return std::nullopt;
    }
  }
  auto& allocator = body.GetAllocator();
  for (const char* key : {"size", "from"}) {
    std::string value = request.query_param(key);
    if (value.empty()) continue;
    body.RemoveMember(key);
    body.AddMember(rapidjson::StringRef(key),
                   Json(static_cast<int64_t>(std::strtoll(value.c_str(), nullptr, 10))), allocator);
  }
  std::string track = request.query_param("track_total_hits");
  if (!track.empty()) {
    body.RemoveMember("track_total_hits");
    Json value = track == "true" || track == "false"
                     ? Json(track == "true")
                     : Json(static_cast<int64_t>(std::strtoll(track.c_str(), nullptr, 10)));
    body.AddMember("track_total_hits", value, allocator);
  }
  return body;
}

std::vector<SearchDocument> documents_of(const ClusterStore& store,
                                         const std::set<const Target*>& targets) {
  std::vector<SearchDocument> documents;
  store.for_each_document([&](const Target& target, std::string_view id, std::string_view raw) {
    if (targets.count(&target) == 0) return;
    SearchDocument& document = documents.emplace_back();
    document.index = target.write_index;
    document.id = id;
    document.raw = raw;
    document.source.Parse(raw.data(), raw.size());
    if (document.source.HasParseError()) document.source.SetObject();
  });
  return documents;
}

}  // namespace

FakeResponse search_endpoint(FakeCluster& cluster, const http::Request& request,
                             std::string_view target, const FilterPath& filter) {
  auto start = std::chrono::steady_clock::now();
  if (request.method != "GET" && request.method != "POST")
    return method_not_allowed(request, "GET, POST");
  if (!cluster.store.stores_documents()) {
    return error_response(400, "illegal_argument_exception",
                          "fake_elasticsearch answers _search only when started with "
                          "--store-documents: without it no sources are kept",
                          filter);
  }
  FakeResponse refusal;
  auto body = search_body(cluster, request, filter, &refusal);
  if (!body) return refusal;
  std::string index;
  try {
    SearchRequest search(*body);
    search.total_as_int = request.query_param("rest_total_hits_as_int") == "true";
    std::string missing;
    auto targets =
        resolve_targets(target.empty() ? "_all" : target, cluster.store.targets(), &missing);
    if (!missing.empty()) return index_not_found(missing, filter);
    std::set<std::string_view> indices;
    for (const Target* t : targets)
      indices.insert(t->write_index);
    if (!indices.empty()) index = std::string(*indices.begin());
    auto documents = documents_of(cluster.store, targets);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    return json_response(200, search_response(search, documents, indices.size(),
                                              static_cast<int64_t>(took), filter));
  } catch (const SearchError& error) {
    return search_error(error, index, filter);
  }
}

}  // namespace auditrelay::fakes::es
