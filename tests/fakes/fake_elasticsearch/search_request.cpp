// Compiling a _search body: its top-level keys, sort and _source.
#include <set>

#include "tests/fakes/fake_elasticsearch/search.h"

namespace auditrelay::fakes::es {
namespace {

using Json = rapidjson::Value;

std::string name_of(const Json& key) {
  return std::string(key.GetString(), key.GetStringLength());
}

// The token Elasticsearch's parser names in "Unknown key for a ... in [key].".
const char* token_of(const Json& value) {
  if (value.IsObject()) return "START_OBJECT";
  if (value.IsArray()) return "START_ARRAY";
  if (value.IsString()) return "VALUE_STRING";
  if (value.IsNumber()) return "VALUE_NUMBER";
  if (value.IsBool()) return "VALUE_BOOLEAN";
  return "VALUE_NULL";
}

// Keys real Elasticsearch takes that the fake does not evaluate: refused, so that a test
// never passes on a search the fake only pretended to run.
const std::set<std::string, std::less<>> kUnsupported = {"min_score",
                                                         "highlight",
                                                         "suggest",
                                                         "rescore",
                                                         "collapse",
                                                         "stored_fields",
                                                         "docvalue_fields",
                                                         "fields",
                                                         "script_fields",
                                                         "indices_boost",
                                                         "explain",
                                                         "version",
                                                         "seq_no_primary_term",
                                                         "profile",
                                                         "terminate_after",
                                                         "stats",
                                                         "ext",
                                                         "slice",
                                                         "pit",
                                                         "runtime_mappings",
                                                         "knn",
                                                         "rank",
                                                         "retriever"};

int64_t non_negative(const Json& value, const char* key) {
  if (!value.IsInt64())
    throw SearchError(400, "x_content_parse_exception",
                      std::string("[") + key + "] failed to parse field [" + key + "]");
  int64_t n = value.GetInt64();
  if (n < 0)
    illegal_argument(std::string("[") + key + "] parameter cannot be negative, found [" +
                     std::to_string(n) + "]");
  return n;
}

std::optional<int64_t> track_total_hits_of(const Json& value) {
  if (value.IsBool()) return value.GetBool() ? std::optional<int64_t>(INT64_MAX) : std::nullopt;
  if (value.IsInt64() && value.GetInt64() == -1) return INT64_MAX;
  if (value.IsInt64() && value.GetInt64() >= 0) return value.GetInt64();
  illegal_argument("[track_total_hits] must be a boolean or a non-negative integer");
}

SortKey sort_key(const std::string& field, const Json* spec) {
  SortKey key{.field = field, .descending = field == "_score"};
  if (spec == nullptr) return key;
  const Json* order = spec;
  if (spec->IsObject()) {
    order = nullptr;
    for (const auto& member : spec->GetObject()) {
      std::string name = name_of(member.name);
      const Json& value = member.value;
      if (name == "order") {
        order = &value;
      } else if (name == "missing" && value.IsString()) {
        key.missing_first = std::string_view(value.GetString()) == "_first";
      } else if (name == "unmapped_type") {
        key.unmapped_ok = true;
      } else if (name == "format" && value.IsString()) {
        key.format = value.GetString();
      } else if (name != "mode" && name != "numeric_type") {
        parsing_error("[" + field + "] sort does not support [" + name + "]");
      }
    }
  }
  if (order == nullptr) return key;
  std::string_view text = order->IsString() ? order->GetString() : "";
  if (text != "asc" && text != "desc")
    illegal_argument("Unknown SortOrder [" + std::string(text) + "]");
  key.descending = text == "desc";
  return key;
}

void add_sort(const Json& value, std::vector<SortKey>& keys) {
  if (value.IsArray()) {
    for (const auto& element : value.GetArray())
      add_sort(element, keys);
  } else if (value.IsString()) {
    keys.push_back(sort_key(value.GetString(), nullptr));
  } else if (value.IsObject() && value.MemberCount() == 1) {
    keys.push_back(sort_key(name_of(value.MemberBegin()->name), &value.MemberBegin()->value));
  } else {
    parsing_error(
        "malformed sort format, within the sort array, an object, or an actual string "
        "are allowed");
  }
}

void add_paths(const Json& value, std::vector<std::string>& paths) {
  if (value.IsString()) {
    paths.emplace_back(value.GetString());
  } else if (value.IsArray()) {
    for (const auto& element : value.GetArray()) {
      if (!element.IsString()) parsing_error("Unknown key for a VALUE in [_source].");
      paths.emplace_back(element.GetString());
    }
  } else {
    parsing_error("Unknown key for a VALUE in [_source].");
  }
}

SourceFilter source_filter(const Json& value) {
  SourceFilter filter;
  if (value.IsBool()) {
    filter.enabled = value.GetBool();
  } else if (value.IsObject()) {
    for (const auto& member : value.GetObject()) {
      std::string key = name_of(member.name);
      if (key == "includes" || key == "include") {
        add_paths(member.value, filter.includes);
      } else if (key == "excludes" || key == "exclude") {
        add_paths(member.value, filter.excludes);
      } else {
        parsing_error("Unknown key for a " + std::string(token_of(member.value)) + " in [" + key +
                      "].");
      }
    }
  } else {
    add_paths(value, filter.includes);
  }
  return filter;
}

}  // namespace

SearchRequest::SearchRequest(const Json& body) {
  for (const auto& member : body.GetObject()) {
    std::string key = name_of(member.name);
    const Json& value = member.value;
    if (key == "size") {
      size = non_negative(value, "size");
    } else if (key == "from") {
      from = non_negative(value, "from");
    } else if (key == "track_total_hits") {
      track_total_hits = track_total_hits_of(value);
    } else if (key == "query") {
      query = parse_query(value);
    } else if (key == "post_filter") {
      post_filter = parse_query(value);
    } else if (key == "sort") {
      add_sort(value, sort);
    } else if (key == "_source") {
      source = source_filter(value);
    } else if (key == "search_after") {
      if (!value.IsArray()) parsing_error("[search_after] must be an array");
      for (const Json& item : value.GetArray()) {
        std::optional<Scalar> scalar = Scalar::from_json(item);
        if (!scalar) parsing_error("[search_after] values must be numbers, strings or booleans");
        search_after.push_back(std::move(*scalar));
      }
      has_search_after = true;
    } else if (key == "aggs" || key == "aggregations") {
      aggregations = Aggregations::parse(value);
      has_aggregations = true;
    } else if (key == "timeout" || key == "track_scores") {
      continue;  // nothing here takes long; scores are constant
    } else if (kUnsupported.count(key) != 0) {
      illegal_argument("fake_elasticsearch does not support [" + key + "] in _search");
    } else {
      parsing_error("Unknown key for a " + std::string(token_of(value)) + " in [" + key + "].");
    }
  }
  // Elasticsearch's own checks of search_after.
  if (has_search_after) {
    if (from > 0)
      illegal_argument("`from` parameter must be set to 0 when `search_after` is used.");
    if (search_after.size() != sort.size())
      illegal_argument("search_after has " + std::to_string(search_after.size()) +
                       " value(s) but sort has " + std::to_string(sort.size()) + ".");
  }
}

}  // namespace auditrelay::fakes::es
