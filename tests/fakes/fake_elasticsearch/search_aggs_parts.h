// What the aggregations of search_aggs.cpp and search_buckets.cpp share: reading their
// options, writing buckets, and the keys a document gives a field.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/fakes/fake_elasticsearch/search_aggs.h"
#include "tests/fakes/fake_elasticsearch/search_query.h"

namespace auditrelay::fakes::es::aggs {

using Json = rapidjson::Value;

std::string name_of(const Json& key);
// 400 x_content_parse_exception "[type] unknown field [key]".
[[noreturn]] void unknown_field(const std::string& type, const std::string& key);
std::string field_of(const Json& value, const std::string& type);
int64_t integer_of(const Json& value, const std::string& type, const std::string& key);

// {"doc_count": n, ...sub-aggregations}, the members of every bucket.
void write_bucket_members(JsonOut& out, const Documents& documents, const Aggregations& subs,
                          const Documents& universe);
Documents matching(const Query& query, const Documents& documents);

// The values of a field as bucket keys: dates become their epoch milliseconds.
std::vector<Scalar> keys_of(const SearchDocument& document, const std::string& field);

struct ScalarLess {
  bool operator()(const Scalar& a, const Scalar& b) const { return compare(a, b) < 0; }
};

// search_buckets.cpp
std::unique_ptr<Aggregation> terms_aggregation(const std::string& name, const Json& body,
                                               Aggregations subs);
std::unique_ptr<Aggregation> date_histogram_aggregation(const std::string& name, const Json& body,
                                                        Aggregations subs);

}  // namespace auditrelay::fakes::es::aggs
