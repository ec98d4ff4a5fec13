// The aggregations the fake computes over the documents a search query matched: filter,
// filters, terms and date_histogram buckets (with sub-aggregations), and the value_count,
// cardinality, min, max, sum and avg metrics.
// https://www.elastic.co/guide/en/elasticsearch/reference/current/search-aggregations.html
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/fake_elasticsearch/json_out.h"
#include "tests/fakes/fake_elasticsearch/search_fields.h"

namespace auditrelay::fakes::es {

using Documents = std::vector<const SearchDocument*>;

class Aggregation {
 public:
  virtual ~Aggregation() = default;
  // Writes this aggregation's result object over `documents`, those of its bucket.
  // `universe` holds every document of the searched indices (terms with min_doc_count 0).
  virtual void write(JsonOut& out, const Documents& documents, const Documents& universe) const = 0;
};

// The named aggregations of one "aggs" object, in request order.
class Aggregations {
 public:
  Aggregations() = default;
  // Compiles an "aggs" object; throws SearchError for an unknown type or a malformed one.
  static Aggregations parse(const rapidjson::Value& json);
  bool empty() const { return named_.empty(); }
  // Writes "name": result members into the object being written.
  void write_members(JsonOut& out, const Documents& documents, const Documents& universe) const;

 private:
  std::vector<std::pair<std::string, std::unique_ptr<Aggregation>>> named_;
};

}  // namespace auditrelay::fakes::es
