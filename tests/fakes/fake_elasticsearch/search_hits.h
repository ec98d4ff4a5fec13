// The "hits" of a search response: post_filter, sort, from/size, scores, totals and
// _source filtering.
#pragma once

#include <vector>

#include "tests/fakes/fake_elasticsearch/search.h"

namespace auditrelay::fakes::es {

// Sorting on a field no document of the searched indices has is an error in Elasticsearch
// ("No mapping found", a shard failure), unless the sort names an unmapped_type.
void check_sort_fields(const std::vector<SortKey>& keys, const std::vector<SearchDocument>& all);

// Writes "hits": {"total":..,"max_score":..,"hits":[..]} for the documents the query
// matched, in indexing order.
void write_hits(JsonOut& out, const SearchRequest& request, const Documents& matched);

}  // namespace auditrelay::fakes::es
