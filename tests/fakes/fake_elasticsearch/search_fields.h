// What _search reads from stored documents: the values of a dotted field path, compared the
// way the field's mapping would compare them, and the errors a search answers with.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::fakes::es {

// A stored document as a search sees it.
struct SearchDocument {
  std::string_view index;  // the backing index
  std::string_view id;
  std::string_view raw;  // the source as indexed
  rapidjson::Document source;
};

// A refused search: Elasticsearch's error type, reason and status.
class SearchError : public std::runtime_error {
 public:
  // `shard_failure`: raised on the shards (query phase), so Elasticsearch wraps it in a
  // search_phase_execution_exception "all shards failed".
  SearchError(int status, std::string type, const std::string& reason, bool shard_failure = false)
      : std::runtime_error(reason),
        status_(status),
        type_(std::move(type)),
        shard_failure_(shard_failure) {}
  int status() const { return status_; }
  const std::string& type() const { return type_; }
  bool shard_failure() const { return shard_failure_; }

 private:
  int status_;
  std::string type_;
  bool shard_failure_;
};

// The 400 parsing_exception of a malformed search body.
[[noreturn]] void parsing_error(const std::string& reason);
// The 400 illegal_argument_exception.
[[noreturn]] void illegal_argument(const std::string& reason);

// Whether the field is mapped as a date. The data streams' mappings (ecs@mappings) map
// `@timestamp` as a date and turn date_detection off, so every other string is a keyword.
bool is_date_field(std::string_view field);

// A keyword, number or boolean value, from a document or from a query.
struct Scalar {
  enum class Kind { kNumber, kString, kBool };  // the order keys of mixed kinds sort in
  Kind kind = Kind::kString;
  std::string text;   // strings; numbers and booleans as a keyword field would index them
  double number = 0;  // numbers; booleans as 0 and 1
  bool integral = false;
  int64_t integer = 0;  // numbers when integral

  static std::optional<Scalar> from_json(const rapidjson::Value& value);
  static Scalar of_string(std::string_view text);
};

// Whether a document's value equals a term (a `term` query's, a `terms` one's), converting
// the term to the document value's type as the mapping would.
bool same_value(const Scalar& field, const Scalar& term);
// -1, 0 or 1; values of different kinds order by kind.
int compare(const Scalar& a, const Scalar& b);

// The values of `path` ("policy.policy_id") in a source: each element of an array, objects
// along the way entered (also through arrays of objects), literal dotted keys ("event.type")
// matched too. Nulls are left out; objects at the end of the path are kept.
void field_values(const rapidjson::Value& source, std::string_view path,
                  std::vector<const rapidjson::Value*>& out);
// The scalar values of `path` in a document.
std::vector<Scalar> scalar_values(const rapidjson::Value& source, std::string_view path);

}  // namespace auditrelay::fakes::es
