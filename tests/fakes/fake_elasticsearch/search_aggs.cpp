#include "tests/fakes/fake_elasticsearch/search_aggs.h"

#include <algorithm>
#include <optional>
#include <set>

#include "tests/fakes/fake_elasticsearch/search_aggs_parts.h"
#include "tests/fakes/fake_elasticsearch/search_dates.h"

namespace auditrelay::fakes::es {
namespace aggs {

std::string name_of(const Json& key) {
  return std::string(key.GetString(), key.GetStringLength());
}

[[noreturn]] void unknown_field(const std::string& type, const std::string& key) {
  throw SearchError(400, "x_content_parse_exception", "[" + type + "] unknown field [" + key + "]");
}

std::string field_of(const Json& value, const std::string& type) {
  if (!value.IsString())
    throw SearchError(400, "x_content_parse_exception",
                      "[" + type + "] failed to parse field [field]");
  return value.GetString();
}

int64_t integer_of(const Json& value, const std::string& type, const std::string& key) {
  if (!value.IsInt64())
    throw SearchError(400, "x_content_parse_exception",
                      "[" + type + "] failed to parse field [" + key + "]");
  return value.GetInt64();
}

// {"doc_count": n, ...sub-aggregations}, the members of every bucket.
void write_bucket_members(JsonOut& out, const Documents& documents, const Aggregations& subs,
                          const Documents& universe) {
  out.Field("doc_count", static_cast<uint64_t>(documents.size()));
  subs.write_members(out, documents, universe);
}

Documents matching(const Query& query, const Documents& documents) {
  Documents matched;
  for (const auto* document : documents)
    if (query.matches(*document)) matched.push_back(document);
  return matched;
}

// The value of a field as a terms key: dates become their epoch milliseconds.
std::vector<Scalar> keys_of(const SearchDocument& document, const std::string& field) {
  std::vector<Scalar> keys;
  if (is_date_field(field)) {
    std::vector<const Json*> values;
    field_values(document.source, field, values);
    for (const auto* value : values) {
      if (auto ms = date_value(*value)) {
        Scalar key;
        key.kind = Scalar::Kind::kNumber;
        key.integral = true;
        key.integer = *ms;
        key.number = static_cast<double>(*ms);
        keys.push_back(key);
      }
    }
  } else {
    keys = scalar_values(document.source, field);
  }
  return keys;
}

namespace {

class FilterAggregation : public Aggregation {
 public:
  FilterAggregation(const Json& body, Aggregations subs)
      : query_(parse_query(body)), subs_(std::move(subs)) {}
  void write(JsonOut& out, const Documents& documents, const Documents& universe) const override {
    out.StartObject();
    write_bucket_members(out, matching(*query_, documents), subs_, universe);
    out.EndObject();
  }

 private:
  std::unique_ptr<Query> query_;
  Aggregations subs_;
};

class FiltersAggregation : public Aggregation {
 public:
  FiltersAggregation(const Json& body, Aggregations subs) : subs_(std::move(subs)) {
    if (!body.IsObject()) parsing_error("[filters] expects an object");
    for (const auto& member : body.GetObject()) {
      std::string key = name_of(member.name);
      if (key == "filters") {
        add_filters(member.value);
      } else if (key == "other_bucket" && member.value.IsBool()) {
        other_bucket_ = member.value.GetBool();
      } else if (key == "other_bucket_key" && member.value.IsString()) {
        other_key_ = member.value.GetString();
        other_bucket_ = true;
      } else if (key == "keyed" && member.value.IsBool()) {
        keyed_ = member.value.GetBool();
      } else {
        unknown_field("filters", key);
      }
    }
    if (filters_.empty() && !body.HasMember("filters")) parsing_error("[filters] cannot be empty.");
  }

  void write(JsonOut& out, const Documents& documents, const Documents& universe) const override {
    out.StartObject();
    out.Key("buckets");
    keyed_ ? out.StartObject() : out.StartArray();
    Documents other = documents;
    for (const auto& entry : filters_) {  // not a structured binding: clang 14 cannot capture one
      const auto& query = entry.second;
      write_bucket(out, entry.first, matching(*query, documents), universe);
      std::erase_if(other, [&](const SearchDocument* d) { return query->matches(*d); });
    }
    if (other_bucket_) write_bucket(out, other_key_, other, universe);
    keyed_ ? out.EndObject() : out.EndArray();
    out.EndObject();
  }

 private:
  void add_filters(const Json& filters) {
    if (filters.IsObject()) {
      for (const auto& member : filters.GetObject())
        filters_.emplace_back(name_of(member.name), parse_query(member.value));
    } else if (filters.IsArray()) {
      keyed_ = false;
      anonymous_ = true;
      for (const auto& element : filters.GetArray())
        filters_.emplace_back("", parse_query(element));
    } else {
      parsing_error("[filters] expects an object or an array of queries");
    }
  }

  void write_bucket(JsonOut& out, const std::string& key, const Documents& documents,
                    const Documents& universe) const {
    if (keyed_) out.Key(key);
    out.StartObject();
    if (!keyed_ && !anonymous_) out.Field("key", key);
    write_bucket_members(out, documents, subs_, universe);
    out.EndObject();
  }

  std::vector<std::pair<std::string, std::unique_ptr<Query>>> filters_;
  bool keyed_ = true;
  bool anonymous_ = false;
  bool other_bucket_ = false;
  std::string other_key_ = "_other_";
  Aggregations subs_;
};

class MetricAggregation : public Aggregation {
 public:
  MetricAggregation(std::string type, const Json& body) : type_(std::move(type)) {
    if (!body.IsObject()) parsing_error("[" + type_ + "] expects an object");
    for (const auto& member : body.GetObject()) {
      std::string key = name_of(member.name);
      if (key == "field") {
        field_ = field_of(member.value, type_);
      } else if (key != "precision_threshold" && key != "format") {
        unknown_field(type_, key);
      }
    }
    if (field_.empty())
      illegal_argument("Required one of fields [field, script], but none were specified.");
  }

  void write(JsonOut& out, const Documents& documents, const Documents&) const override {
    out.StartObject();
    if (type_ == "value_count" || type_ == "cardinality") {
      std::set<Scalar, ScalarLess> distinct;
      uint64_t count = 0;
      for (const auto* document : documents) {
        for (auto& key : keys_of(*document, field_)) {
          ++count;
          distinct.insert(std::move(key));
        }
      }
      out.Field("value", type_ == "value_count" ? count : static_cast<uint64_t>(distinct.size()));
    } else {
      write_numeric(out, documents);
    }
    out.EndObject();
  }

 private:
  void write_numeric(JsonOut& out, const Documents& documents) const {
    std::vector<double> numbers;
    for (const auto* document : documents) {
      for (const auto& key : keys_of(*document, field_)) {
        if (key.kind == Scalar::Kind::kString)
          illegal_argument("Field [" + field_ + "] of type [keyword] is not supported for " +
                           "aggregation [" + type_ + "]");
        numbers.push_back(key.number);
      }
    }
    std::optional<double> value;
    if (type_ == "sum") value = 0;
    for (double number : numbers) {
      if (type_ == "min") value = value ? std::min(*value, number) : number;
      if (type_ == "max") value = value ? std::max(*value, number) : number;
      if (type_ == "sum" || type_ == "avg") value = value.value_or(0) + number;
    }
    if (type_ == "avg" && value) *value /= static_cast<double>(numbers.size());
    out.Key("value");
    if (!value) {
      out.Null();
      return;
    }
    out.Double(*value);
    if (is_date_field(field_) && type_ != "sum")
      out.Field("value_as_string", format_date(static_cast<int64_t>(*value)));
  }

  std::string type_;
  std::string field_;
};

bool is_metric(const std::string& type) {
  return type == "value_count" || type == "cardinality" || type == "min" || type == "max" ||
         type == "sum" || type == "avg";
}

std::unique_ptr<Aggregation> make_aggregation(const std::string& name, const std::string& type,
                                              const Json& body, Aggregations subs) {
  if (is_metric(type)) {
    if (!subs.empty())
      throw SearchError(
          400, "aggregation_initialization_exception",
          "Aggregator [" + name + "] of type [" + type + "] cannot accept sub-aggregations");
    return std::make_unique<MetricAggregation>(type, body);
  }
  if (type == "filter") return std::make_unique<FilterAggregation>(body, std::move(subs));
  if (type == "filters") return std::make_unique<FiltersAggregation>(body, std::move(subs));
  if (type == "terms") return terms_aggregation(name, body, std::move(subs));
  if (type == "date_histogram") return date_histogram_aggregation(name, body, std::move(subs));
  throw SearchError(400, "x_content_parse_exception", "Unknown aggregation type [" + type + "]");
}

}  // namespace
}  // namespace aggs

using aggs::Json;

Aggregations Aggregations::parse(const Json& json) {
  if (!json.IsObject()) parsing_error("Aggregation definitions must be an object");
  Aggregations aggregations;
  for (const auto& member : json.GetObject()) {
    std::string name = aggs::name_of(member.name);
    const Json& spec = member.value;
    if (!spec.IsObject())
      parsing_error("Expected [START_OBJECT] under [" + name + "], but got a [" +
                    (spec.IsArray() ? "START_ARRAY" : "VALUE") + "] in [" + name + "]");
    const Json* body = nullptr;
    std::string type;
    Aggregations subs;
    for (const auto& part : spec.GetObject()) {
      std::string key = aggs::name_of(part.name);
      if (key == "aggs" || key == "aggregations") {
        subs = parse(part.value);
      } else if (key != "meta") {
        if (body != nullptr)
          parsing_error("Found two aggregation type definitions in [" + name + "]: [" + type +
                        "] and [" + key + "]");
        type = key;
        body = &part.value;
      }
    }
    if (body == nullptr) parsing_error("Missing definition for aggregation [" + name + "]");
    aggregations.named_.emplace_back(name,
                                     aggs::make_aggregation(name, type, *body, std::move(subs)));
  }
  return aggregations;
}

void Aggregations::write_members(JsonOut& out, const Documents& documents,
                                 const Documents& universe) const {
  for (const auto& [name, aggregation] : named_) {
    out.Key(name);
    aggregation->write(out, documents, universe);
  }
}

}  // namespace auditrelay::fakes::es
