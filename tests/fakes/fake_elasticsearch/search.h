// The _search API over the documents the fake stores (--store-documents): the query subset
// of search_query.h, post_filter, sort, from/size, _source filtering, track_total_hits and the
// aggregations of search_aggs.h, answered in Elasticsearch 8's response format.
// https://www.elastic.co/guide/en/elasticsearch/reference/current/search-search.html
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fakes/fake_elasticsearch/cluster.h"
#include "tests/fakes/fake_elasticsearch/json_out.h"
#include "tests/fakes/fake_elasticsearch/search_aggs.h"
#include "tests/fakes/fake_elasticsearch/search_fields.h"
#include "tests/fakes/fake_elasticsearch/search_query.h"
#include "tests/fakes/fake_http_server.h"

namespace auditrelay::fakes::es {

// One entry of "sort".
struct SortKey {
  std::string field;  // or "_score", "_doc"
  bool descending = false;
  bool missing_first = false;
  bool unmapped_ok = false;  // unmapped_type given: no error when no document has the field
  std::string format;        // of a date field's sort values; "" = epoch milliseconds
};

// "_source": false, or the dotted paths (with '*') to keep and to drop.
struct SourceFilter {
  bool enabled = true;
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  bool everything() const { return enabled && includes.empty() && excludes.empty(); }
};

// A search body, compiled; the constructor throws SearchError for what Elasticsearch refuses.
struct SearchRequest {
  explicit SearchRequest(const rapidjson::Value& body);

  int64_t size = 10;
  int64_t from = 0;
  std::optional<int64_t> track_total_hits = 10000;  // nullopt: false; INT64_MAX: true
  bool total_as_int = false;                        // ?rest_total_hits_as_int=true
  std::unique_ptr<Query> query;                     // null: match_all
  std::unique_ptr<Query> post_filter;
  std::vector<SortKey> sort;
  std::vector<Scalar> search_after;  // the sort values of the last hit of the previous page
  bool has_search_after = false;
  SourceFilter source;
  Aggregations aggregations;
  bool has_aggregations = false;
};

// The response body of `request` over `documents` (those of the searched indices, in
// indexing order) held in `shards` backing indices. Throws SearchError.
std::string search_response(const SearchRequest& request,
                            const std::vector<SearchDocument>& documents, size_t shards,
                            int64_t took_ms, const FilterPath& filter);

// The targets an index expression ("logs-a-*,other", "_all", "-excluded") names, matched
// against data stream / index names (and backing index names when concrete or starting
// with '.'). Sets `missing` to a concrete name that matches nothing (a 404).
std::set<const Target*> resolve_targets(std::string_view expression,
                                        const std::vector<const Target*>& targets,
                                        std::string* missing);

// GET|POST /_search and /<target>/_search.
FakeResponse search_endpoint(FakeCluster& cluster, const http::Request& request,
                             std::string_view target, const FilterPath& filter);

}  // namespace auditrelay::fakes::es
