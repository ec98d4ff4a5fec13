#include "tests/fakes/fake_elasticsearch/search_query.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "tests/fakes/fake_elasticsearch/json_out.h"
#include "tests/fakes/fake_elasticsearch/search_dates.h"

namespace auditrelay::fakes::es {
namespace {

using Json = rapidjson::Value;

std::string name_of(const Json& key) {
  return std::string(key.GetString(), key.GetStringLength());
}

// The single {"field": spec} member of a term-level query, with its optional
// {"value": v, "boost": b, ...} form unwrapped.
struct FieldSpec {
  std::string field;
  const Json* value = nullptr;
};

FieldSpec single_field(const Json& body, const char* query) {
  if (!body.IsObject() || body.MemberCount() == 0)
    parsing_error(std::string("[") + query + "] query malformed, no start_object after query name");
  FieldSpec spec;
  for (const auto& member : body.GetObject()) {
    std::string key = name_of(member.name);
    if (key == "boost" || key == "_name") continue;
    if (spec.value != nullptr)
      parsing_error(std::string("[") + query + "] query doesn't support multiple fields, found [" +
                    spec.field + "] and [" + key + "]");
    spec.field = key;
    spec.value = &member.value;
  }
  if (spec.value == nullptr) parsing_error(std::string("[") + query + "] query requires a field");
  return spec;
}

const Json& unwrap_value(const FieldSpec& spec, const char* query) {
  if (!spec.value->IsObject()) return *spec.value;
  const Json* value = nullptr;
  for (const auto& member : spec.value->GetObject()) {
    std::string key = name_of(member.name);
    if (key == "value") {
      value = &member.value;
    } else if (key != "boost" && key != "_name" && key != "case_insensitive" && key != "rewrite") {
      parsing_error(std::string("[") + query + "] query does not support [" + key + "]");
    }
  }
  if (value == nullptr) parsing_error(std::string("[") + query + "] query requires a value");
  return *value;
}

Scalar term_scalar(const Json& value, const char* query) {
  auto scalar = Scalar::from_json(value);
  if (!scalar) parsing_error(std::string("[") + query + "] query does not support this value");
  return std::move(*scalar);
}

class MatchAll : public Query {
 public:
  explicit MatchAll(bool all) : all_(all) {}
  bool matches(const SearchDocument&) const override { return all_; }

 private:
  bool all_;
};

class Ids : public Query {
 public:
  explicit Ids(std::set<std::string, std::less<>> ids) : ids_(std::move(ids)) {}
  bool matches(const SearchDocument& document) const override {
    return ids_.find(document.id) != ids_.end();
  }

 private:
  std::set<std::string, std::less<>> ids_;
};

// term and terms: any value of the field equal to any of the terms.
class Terms : public Query {
 public:
  Terms(std::string field, std::vector<Scalar> terms) : field_(std::move(field)) {
    for (auto& term : terms) {
      std::optional<int64_t> ms;
      if (is_date_field(field_)) {
        ms = term.kind == Scalar::Kind::kString ? parse_date(term.text)
             : term.integral                    ? std::optional(term.integer)
                                                : std::optional(static_cast<int64_t>(term.number));
        if (!ms) illegal_argument("failed to parse date field [" + term.text + "]");
      }
      terms_.push_back({std::move(term), ms.value_or(0)});
    }
  }
  bool matches(const SearchDocument& document) const override {
    std::vector<const Json*> values;
    field_values(document.source, field_, values);
    for (const auto* value : values) {
      if (is_date_field(field_)) {
        auto ms = date_value(*value);
        for (const auto& term : terms_)
          if (ms && *ms == term.ms) return true;
        continue;
      }
      auto scalar = Scalar::from_json(*value);
      if (!scalar) continue;
      for (const auto& term : terms_)
        if (same_value(*scalar, term.value)) return true;
    }
    return false;
  }

 private:
  struct Term {
    Scalar value;
    int64_t ms;  // date fields
  };
  std::string field_;
  std::vector<Term> terms_;
};

class Range : public Query {
 public:
  Range(const std::string& field, const Json& spec) : field_(field), date_(is_date_field(field)) {
    if (!spec.IsObject())
      parsing_error("[range] query malformed, no start_object after query name");
    for (const auto& member : spec.GetObject()) {
      std::string key = name_of(member.name);
      if (key == "gte" || key == "gt" || key == "lte" || key == "lt" || key == "from" ||
          key == "to") {
        if (!member.value.IsNull()) add_bound(key, member.value);
      } else if (key != "format" && key != "boost" && key != "_name" && key != "time_zone" &&
                 key != "relation" && key != "include_lower" && key != "include_upper") {
        parsing_error("[range] query does not support [" + key + "]");
      }
    }
  }

  bool matches(const SearchDocument& document) const override {
    std::vector<const Json*> values;
    field_values(document.source, field_, values);
    for (const auto* value : values)
      if (in_range(*value)) return true;
    return false;
  }

 private:
  struct Bound {
    bool upper;
    bool inclusive;
    Scalar value;
    int64_t ms = 0;  // date fields
  };

  void add_bound(const std::string& key, const Json& value) {
    Bound bound;
    bound.upper = key == "lte" || key == "lt" || key == "to";
    bound.inclusive = key == "gte" || key == "lte" || key == "from" || key == "to";
    bound.value = term_scalar(value, "range");
    if (date_) {
      // gt and lte round a partial date up to its last millisecond, gte and lt down.
      bool round_up = bound.upper == bound.inclusive;
      auto ms = date_value(value, round_up);
      if (!ms)
        throw SearchError(400, "parse_exception",
                          "failed to parse date field [" + bound.value.text + "] with format " +
                              "[strict_date_optional_time||epoch_millis]");
      bound.ms = *ms;
    }
    bounds_.push_back(std::move(bound));
  }

  // The sign of value - bound, if they compare.
  std::optional<int> order(const Json& value, const Bound& bound) const {
    if (date_) {
      auto ms = date_value(value);
      if (!ms) return std::nullopt;
      return *ms < bound.ms ? -1 : *ms > bound.ms ? 1 : 0;
    }
    auto scalar = Scalar::from_json(value);
    if (!scalar || scalar->kind == Scalar::Kind::kBool) return std::nullopt;
    if (scalar->kind == Scalar::Kind::kString) {
      int c = scalar->text.compare(bound.value.text);  // a keyword compares as text
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    Scalar number = bound.value;
    if (number.kind != Scalar::Kind::kNumber) {
      char* end = nullptr;
      number.number = std::strtod(number.text.c_str(), &end);
      if (number.text.empty() || *end != '\0') return std::nullopt;
      number.kind = Scalar::Kind::kNumber;
    }
    return compare(*scalar, number);
  }

  bool in_range(const Json& value) const {
    for (const auto& bound : bounds_) {
      auto sign = order(value, bound);
      if (!sign) return false;
      if (bound.upper && (*sign > 0 || (*sign == 0 && !bound.inclusive))) return false;
      if (!bound.upper && (*sign < 0 || (*sign == 0 && !bound.inclusive))) return false;
    }
    return true;
  }

  std::string field_;
  bool date_;
  std::vector<Bound> bounds_;
};

class Exists : public Query {
 public:
  explicit Exists(std::string field) : field_(std::move(field)) {}
  bool matches(const SearchDocument& document) const override {
    std::vector<const Json*> values;
    field_values(document.source, field_, values);
    return std::any_of(values.begin(), values.end(), [](const Json* value) {
      return !value->IsObject() || value->MemberCount() > 0;
    });
  }

 private:
  std::string field_;
};

// prefix and wildcard on keyword values.
class Pattern : public Query {
 public:
  Pattern(std::string field, std::string pattern)
      : field_(std::move(field)), pattern_(std::move(pattern)) {}
  bool matches(const SearchDocument& document) const override {
    for (const auto& value : scalar_values(document.source, field_))
      if (value.kind == Scalar::Kind::kString && wildcard_match(pattern_, value.text)) return true;
    return false;
  }

 private:
  std::string field_;
  std::string pattern_;  // '*' any run; a '?' is taken literally
};

class Bool : public Query {
 public:
  explicit Bool(const Json& spec) {
    if (!spec.IsObject()) parsing_error("[bool] query malformed, no start_object after query name");
    const Json* minimum = nullptr;
    for (const auto& member : spec.GetObject()) {
      std::string key = name_of(member.name);
      if (key == "must") {
        add(member.value, must_);
      } else if (key == "filter") {
        add(member.value, filter_);
      } else if (key == "should") {
        add(member.value, should_);
      } else if (key == "must_not" || key == "mustNot") {
        add(member.value, must_not_);
      } else if (key == "minimum_should_match") {
        minimum = &member.value;
      } else if (key != "boost" && key != "_name" && key != "adjust_pure_negative") {
        parsing_error("[bool] query does not support [" + key + "]");
      }
    }
    size_t default_minimum = !should_.empty() && must_.empty() && filter_.empty() ? 1 : 0;
    minimum_should_match_ = minimum ? resolve_minimum(*minimum) : default_minimum;
  }

  bool matches(const SearchDocument& document) const override {
    for (const auto& query : must_)
      if (!query->matches(document)) return false;
    for (const auto& query : filter_)
      if (!query->matches(document)) return false;
    for (const auto& query : must_not_)
      if (query->matches(document)) return false;
    if (minimum_should_match_ == 0) return true;
    size_t matched = 0;
    for (const auto& query : should_) {
      if (query->matches(document) && ++matched >= minimum_should_match_) return true;
    }
    return false;
  }

  // An empty bool is a match_all; only filter and must_not clauses score nothing.
  bool scores() const override {
    bool empty = must_.empty() && should_.empty() && filter_.empty() && must_not_.empty();
    return empty || !must_.empty() || !should_.empty();
  }

 private:
  using Clauses = std::vector<std::unique_ptr<Query>>;

  static void add(const Json& value, Clauses& clauses) {
    if (value.IsArray()) {
      for (const auto& element : value.GetArray())
        clauses.push_back(parse_query(element));
    } else {
      clauses.push_back(parse_query(value));
    }
  }

  // An integer or a percentage, negative for "all but"
  // (https://www.elastic.co/guide/en/elasticsearch/reference/current/query-dsl-minimum-should-match.html).
  size_t resolve_minimum(const Json& value) const {
    auto count = static_cast<int64_t>(should_.size());
    int64_t n = 0;
    if (value.IsInt64()) {
      n = value.GetInt64();
    } else if (value.IsString()) {
      std::string text = value.GetString();
      bool percent = !text.empty() && text.back() == '%';
      if (percent) text.pop_back();
      char* end = nullptr;
      long parsed = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0')
        parsing_error("[bool] query does not support minimum_should_match [" +
                      std::string(value.GetString()) + "]");
      n = percent ? parsed * count / 100 : parsed;
    } else {
      parsing_error("[bool] query does not support this minimum_should_match");
    }
    int64_t resolved = n < 0 ? count + n : n;
    return static_cast<size_t>(std::clamp<int64_t>(resolved, 0, count));
  }

  Clauses must_, filter_, should_, must_not_;
  size_t minimum_should_match_ = 0;
};

class ConstantScore : public Query {
 public:
  explicit ConstantScore(const Json& spec) {
    if (!spec.IsObject() || !spec.HasMember("filter"))
      parsing_error("[constant_score] requires a 'filter' element");
    filter_ = parse_query(spec["filter"]);
  }
  bool matches(const SearchDocument& document) const override { return filter_->matches(document); }

 private:
  std::unique_ptr<Query> filter_;
};

std::unique_ptr<Query> term_query(const Json& body) {
  FieldSpec spec = single_field(body, "term");
  std::vector<Scalar> terms;
  terms.push_back(term_scalar(unwrap_value(spec, "term"), "term"));
  return std::make_unique<Terms>(spec.field, std::move(terms));
}

std::unique_ptr<Query> terms_query(const Json& body) {
  FieldSpec spec = single_field(body, "terms");
  if (!spec.value->IsArray()) parsing_error("[terms] query does not support [" + spec.field + "]");
  std::vector<Scalar> terms;
  for (const auto& element : spec.value->GetArray())
    terms.push_back(term_scalar(element, "terms"));
  return std::make_unique<Terms>(spec.field, std::move(terms));
}

std::unique_ptr<Query> exists_query(const Json& body) {
  if (!body.IsObject() || !body.HasMember("field") || !body["field"].IsString())
    parsing_error("[exists] must be provided with a [field]");
  return std::make_unique<Exists>(body["field"].GetString());
}

std::unique_ptr<Query> ids_query(const Json& body) {
  if (!body.IsObject() || !body.HasMember("values") || !body["values"].IsArray())
    parsing_error("[ids] query malformed, no [values]");
  std::set<std::string, std::less<>> ids;
  for (const auto& id : body["values"].GetArray())
    ids.insert(term_scalar(id, "ids").text);
  return std::make_unique<Ids>(std::move(ids));
}

std::unique_ptr<Query> pattern_query(const Json& body, const char* query) {
  FieldSpec spec = single_field(body, query);
  std::string pattern = term_scalar(unwrap_value(spec, query), query).text;
  if (std::string_view(query) == "prefix") pattern += "*";
  return std::make_unique<Pattern>(spec.field, std::move(pattern));
}

}  // namespace

std::unique_ptr<Query> parse_query(const Json& json) {
  if (!json.IsObject() || json.MemberCount() == 0)
    parsing_error("query malformed, must start with start_object");
  if (json.MemberCount() > 1) {
    std::string first = name_of(json.MemberBegin()->name);
    parsing_error("[" + first + "] malformed query, expected [END_OBJECT] but found [FIELD_NAME]");
  }
  std::string type = name_of(json.MemberBegin()->name);
  const Json& body = json.MemberBegin()->value;
  if (type == "match_all") return std::make_unique<MatchAll>(true);
  if (type == "match_none") return std::make_unique<MatchAll>(false);
  if (type == "term") return term_query(body);
  if (type == "terms") return terms_query(body);
  if (type == "range") {
    FieldSpec spec = single_field(body, "range");
    return std::make_unique<Range>(spec.field, *spec.value);
  }
  if (type == "exists") return exists_query(body);
  if (type == "ids") return ids_query(body);
  if (type == "prefix" || type == "wildcard") return pattern_query(body, type.c_str());
  if (type == "bool") return std::make_unique<Bool>(body);
  if (type == "constant_score") return std::make_unique<ConstantScore>(body);
  parsing_error("unknown query [" + type + "]");
}

}  // namespace auditrelay::fakes::es
