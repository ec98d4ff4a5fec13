// The Query DSL subset the fake evaluates: match_all, match_none, ids, term, terms, range,
// exists, prefix, wildcard, bool and constant_score, over stored sources.
// https://www.elastic.co/guide/en/elasticsearch/reference/current/query-dsl.html
#pragma once

#include <rapidjson/document.h>

#include <memory>

#include "tests/fakes/fake_elasticsearch/search_fields.h"

namespace auditrelay::fakes::es {

class Query {
 public:
  virtual ~Query() = default;
  virtual bool matches(const SearchDocument& document) const = 0;
  // Whether matching documents get a score (1.0 here) rather than 0.0: false for a query in
  // filter context only, such as a bool of filter and must_not clauses.
  virtual bool scores() const { return true; }
};

// Compiles one query object ({"term":{...}}); throws SearchError (400 parsing_exception)
// for an unknown or malformed one.
std::unique_ptr<Query> parse_query(const rapidjson::Value& json);

}  // namespace auditrelay::fakes::es
