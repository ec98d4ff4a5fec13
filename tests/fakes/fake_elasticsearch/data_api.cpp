#include "tests/fakes/fake_elasticsearch/data_api.h"

#include <chrono>

#include "tests/fakes/fake_elasticsearch/es_response.h"
#include "tests/fakes/fake_elasticsearch/search.h"

namespace auditrelay::fakes::es {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    while (!path.empty() && path.front() == '/')
      path.remove_prefix(1);
    if (path.empty()) break;
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return segments;
}

int64_t unix_ms() {
  return std::chrono::system_clock::now().time_since_epoch() / std::chrono::milliseconds(1);
}

bool is_gzip(const http::Request& request) {
  std::string encoding = request.header("Content-Encoding");
  return encoding == "gzip" || encoding == "x-gzip";
}

FakeResponse request_refused(int status, const std::string& retry_after, const FilterPath& filter) {
  FakeResponse response;
  if (status == 429) {
    response = error_response(
        429, "es_rejected_execution_exception",
        "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
        "replica_bytes=0, all_bytes=0, coordinating_operation_bytes=53687092, "
        "max_coordinating_and_primary_bytes=53687091]",
        filter);
  } else if (status == 503) {
    response = error_response(503, "cluster_block_exception",
                              "blocked by: [SERVICE_UNAVAILABLE/2/no master];", filter);
  } else {
    response = error_response(status, "exception", "fault injected by fake_elasticsearch", filter);
  }
  if (!retry_after.empty()) response.headers.emplace_back("Retry-After", retry_after);
  return response;
}

}  // namespace

FakeResponse method_not_allowed(const http::Request& request, std::string_view allowed) {
  FakeResponse response =
      plain_error(405, "Incorrect HTTP method for uri [" + request.url + "] and method [" +
                           request.method + "], allowed: [" + std::string(allowed) + "]");
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

void DataApi::handle(const http::Request& request, const FakeRespond& respond) {
  FilterPath filter(request.query_param("filter_path"));
  std::string path = request.path();  // segments view it
  auto segments = split_path(path);
  bool is_bulk = (segments.size() == 1 && segments[0] == "_bulk") ||
                 (segments.size() == 2 && segments[1] == "_bulk");
  if (!is_bulk) {
    FakeResponse response;
    if (auto refused = cluster_.credentials.check(request, filter)) {
      response = std::move(*refused);
    } else {
      response = route(request, segments, filter);
    }
    if (request.method == "HEAD") response.body.clear();
    respond(std::move(response));
    return;
  }
  Faults& faults = cluster_.faults;
  Stats& stats = cluster_.stats;
  stats.bulk_requests++;
  stats.bytes_received += request.body.size();
  stats.last_bulk_headers = request.headers;
  BulkRequestRecord record{.unix_ms = unix_ms(),
                           .path = path,
                           .bytes = request.body.size(),
                           .gzip = is_gzip(request),
                           .content_type = request.header("Content-Type")};
  if (faults.drop_requests > 0) {
    faults.drop_requests--;
    stats.record(std::move(record));
    respond(FakeResponse{{.drop = true}});
    return;
  }
  uint64_t items = 0;
  FakeResponse response = bulk(request, segments.size() == 2 ? segments[0] : "", filter, &items);
  response.delay_ms = faults.delay_ms;
  record.status = response.status;
  record.items = items;
  stats.record(std::move(record));
  respond(std::move(response));
}

FakeResponse DataApi::bulk(const http::Request& request, std::string_view target,
                           const FilterPath& filter, uint64_t* items) {
  Faults& faults = cluster_.faults;
  // The HTTP layer refuses an oversized body before any handler runs, counting the bytes
  // on the wire (still compressed), like http.max_content_length.
  if (faults.max_body_bytes > 0 && request.body.size() > faults.max_body_bytes) {
    FakeResponse too_large{{.status = 413}};
    too_large.headers.emplace_back("Connection", "close");
    return too_large;
  }
  if (request.method != "POST" && request.method != "PUT")
    return method_not_allowed(request, "POST, PUT");
  if (auto refused = cluster_.credentials.check(request, filter)) return std::move(*refused);
  if (auto unsupported = check_content_type(request)) return std::move(*unsupported);
  if (faults.requests_count > 0) {
    faults.requests_count--;
    return request_refused(faults.requests_status, faults.retry_after, filter);
  }
  DecodedBody body = decode_body(request, cluster_.inflated);
  if (!body.error.empty()) {
    return error_response(400, "illegal_argument_exception", body.error, filter);
  }
  return cluster_.bulk.process(body.bytes, target, filter, items);
}

FakeResponse DataApi::route(const http::Request& request,
                            const std::vector<std::string_view>& segments,
                            const FilterPath& filter) {
  const std::string& method = request.method;
  bool read = method == "GET" || method == "HEAD";
  if (segments.empty()) {
    return read ? cluster_info(request, filter) : method_not_allowed(request, "GET, HEAD");
  }
  std::string_view first = segments[0];
  if (first == "_index_template" && segments.size() <= 2)
    return index_template(request, segments.size() == 2 ? segments[1] : "", filter);
  if (first == "_component_template" && segments.size() <= 2)
    return component_template(request, segments.size() == 2 ? segments[1] : "", filter);
  if (first == "_ilm" && segments.size() >= 2 && segments.size() <= 3 && segments[1] == "policy")
    return lifecycle_policy(request, segments.size() == 3 ? segments[2] : "", filter);
  if (segments.back() == "_search" && segments.size() <= 2)
    return search_endpoint(cluster_, request, segments.size() == 2 ? first : "", filter);
  if (segments.size() == 1 && first.front() != '_' && read) return index_not_found(first, filter);
  return plain_error(400,
                     "no handler found for uri [" + request.url + "] and method [" + method + "]");
}

FakeResponse DataApi::cluster_info(const http::Request&, const FilterPath& filter) {
  std::string body;
  JsonOut out(body, filter);
  out.StartObject();
  out.Field("name", "fake-es-node");
  out.Field("cluster_name", "fake-elasticsearch");
  out.Field("cluster_uuid", "c2dlqvTZSeOg2MTh0hDp3A");
  out.Key("version");
  out.StartObject();
  out.Field("number", "8.15.0");
  out.Field("build_flavor", "default");
  out.Field("build_type", "docker");
  out.Field("build_hash", "1a77947f34deddb41af25e6f0ddb8e830159c179");
  out.Field("build_date", "2024-08-05T10:05:34.233336849Z");
  out.Field("build_snapshot", false);
  out.Field("lucene_version", "9.11.1");
  out.Field("minimum_wire_compatibility_version", "7.17.0");
  out.Field("minimum_index_compatibility_version", "7.0.0");
  out.EndObject();
  out.Field("tagline", "You Know, for Search");
  out.EndObject();
  return json_response(200, std::move(body));
}

}  // namespace auditrelay::fakes::es
