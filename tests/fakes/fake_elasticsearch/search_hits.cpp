#include "tests/fakes/fake_elasticsearch/search_hits.h"

#include <algorithm>

#include "tests/fakes/fake_elasticsearch/search_dates.h"

namespace auditrelay::fakes::es {
namespace {

using Json = rapidjson::Value;

// A hit's value for one sort key: the smallest of its values ascending, the largest
// descending (the default sort mode), or none.
struct SortValue {
  bool present = false;
  Scalar value;
};

struct Hit {
  const SearchDocument* document;
  int64_t ordinal;  // in indexing order: "_doc", and the tie-breaker
  std::vector<SortValue> sort;
};

SortValue sort_value(const SearchDocument& document, const SortKey& key, int64_t ordinal) {
  SortValue result;
  if (key.field == "_score") return result;
  if (key.field == "_doc") {
    result.present = true;
    result.value.kind = Scalar::Kind::kNumber;
    result.value.integral = true;
    result.value.integer = ordinal;
    return result;
  }
  std::vector<Scalar> values;
  if (is_date_field(key.field)) {
    std::vector<const Json*> raw;
    field_values(document.source, key.field, raw);
    for (const auto* value : raw) {
      if (auto ms = date_value(*value)) {
        Scalar scalar;
        scalar.kind = Scalar::Kind::kNumber;
        scalar.integral = true;
        scalar.integer = *ms;
        scalar.number = static_cast<double>(*ms);
        values.push_back(scalar);
      }
    }
  } else {
    values = scalar_values(document.source, key.field);
  }
  for (auto& value : values) {
    int c = result.present ? compare(value, result.value) : 0;
    if (!result.present || (key.descending ? c > 0 : c < 0)) {
      result.value = std::move(value);
      result.present = true;
    }
  }
  return result;
}

// Whether a sorts before b; missing values go last unless `missing_first`.
bool sorts_before(const Hit& a, const Hit& b, const std::vector<SortKey>& keys) {
  for (size_t i = 0; i < keys.size(); ++i) {
    const SortValue& x = a.sort[i];
    const SortValue& y = b.sort[i];
    if (!x.present || !y.present) {
      if (x.present == y.present) continue;
      return x.present != keys[i].missing_first;
    }
    int c = compare(x.value, y.value);
    if (keys[i].descending) c = -c;
    if (c != 0) return c < 0;
  }
  return false;
}

// Whether a hit comes after the sort values `after` (search_after) in the sort's order; a hit
// missing a value sorts last, so it comes after.
bool comes_after(const Hit& hit, const std::vector<Scalar>& after,
                 const std::vector<SortKey>& keys) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!hit.sort[i].present) return true;
    int c = compare(hit.sort[i].value, after[i]);
    if (keys[i].descending) c = -c;
    if (c != 0) return c > 0;
  }
  return false;  // equal: that is the hit the previous page ended with
}

void write_sort_value(JsonOut& out, const SortKey& key, const SortValue& value, double score) {
  bool date = is_date_field(key.field);
  if (key.field == "_score") {
    out.Double(score);
  } else if (!value.present) {
    // Missing dates and numbers sort as the extreme long on their side; keywords as null.
    if (!date) {
      out.Null();
    } else {
      out.Int64(key.descending != key.missing_first ? INT64_MIN : INT64_MAX);
    }
  } else if (date && !key.format.empty()) {
    out.String(format_date(value.value.integer, key.format));
  } else if (value.value.kind == Scalar::Kind::kString) {
    out.String(value.value.text);
  } else if (value.value.integral || value.value.kind == Scalar::Kind::kBool) {
    out.Int64(value.value.integral ? value.value.integer
                                   : static_cast<int64_t>(value.value.number));
  } else {
    out.Double(value.value.number);
  }
}

void write_json(JsonOut& out, const Json& value) {
  switch (value.GetType()) {
    case rapidjson::kObjectType:
      out.StartObject();
      for (const auto& member : value.GetObject()) {
        out.Key({member.name.GetString(), member.name.GetStringLength()});
        write_json(out, member.value);
      }
      out.EndObject();
      break;
    case rapidjson::kArrayType:
      out.StartArray();
      for (const auto& element : value.GetArray())
        write_json(out, element);
      out.EndArray();
      break;
    case rapidjson::kStringType:
      out.String({value.GetString(), value.GetStringLength()});
      break;
    case rapidjson::kNumberType:
      if (value.IsInt64()) {
        out.Int64(value.GetInt64());
      } else if (value.IsUint64()) {
        out.Uint64(value.GetUint64());
      } else {
        out.Double(value.GetDouble());
      }
      break;
    case rapidjson::kTrueType:
    case rapidjson::kFalseType:
      out.Bool(value.GetBool());
      break;
    case rapidjson::kNullType:
      out.Null();
      break;
  }
}

// _source includes and excludes over dotted paths, keeping the objects around what is
// kept and dropping objects left empty, as Elasticsearch's source filtering does.
class SourceFiltering {
 public:
  explicit SourceFiltering(const SourceFilter& filter) : filter_(filter) {}

  Json object(const Json& in, const std::string& prefix, bool included) {
    Json out(rapidjson::kObjectType);
    for (const auto& member : in.GetObject()) {
      std::string path = prefix;
      if (!path.empty()) path += '.';
      path.append(member.name.GetString(), member.name.GetStringLength());
      if (matches_any(filter_.excludes, path)) continue;
      bool whole = included || filter_.includes.empty() || matches_any(filter_.includes, path);
      if (!whole && !may_match_below(path)) continue;
      Json kept = value(member.value, path, whole);
      bool keep =
          whole || (kept.IsObject() && kept.MemberCount() > 0) || (kept.IsArray() && !kept.Empty());
      if (keep) out.AddMember(Json(member.name, allocator_), kept, allocator_);
    }
    return out;
  }

  rapidjson::Document::AllocatorType& allocator() { return allocator_; }

 private:
  Json value(const Json& in, const std::string& path, bool included) {
    if (in.IsObject()) return object(in, path, included);
    if (in.IsArray()) {
      Json out(rapidjson::kArrayType);
      for (const auto& element : in.GetArray()) {
        Json kept = value(element, path, included);
        if (included || (kept.IsObject() && kept.MemberCount() > 0)) out.PushBack(kept, allocator_);
      }
      return out;
    }
    return included ? Json(in, allocator_) : Json();
  }

  static bool matches_any(const std::vector<std::string>& patterns, const std::string& path) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return wildcard_match(p, path); });
  }

  // Whether an include pattern could match a path below `path`.
  bool may_match_below(const std::string& path) const {
    std::string below = path + '.';
    return std::any_of(filter_.includes.begin(), filter_.includes.end(), [&](const auto& p) {
      std::string_view fixed = std::string_view(p).substr(0, p.find('*'));
      if (fixed.size() == p.size()) return fixed.substr(0, below.size()) == below;
      return below.compare(0, fixed.size(), fixed) == 0 || fixed.substr(0, below.size()) == below;
    });
  }

  const SourceFilter& filter_;
  rapidjson::Document::AllocatorType allocator_;
};

void write_source(JsonOut& out, const SearchDocument& document, const SourceFilter& filter) {
  if (!filter.enabled) return;
  out.Key("_source");
  if (filter.everything() || !document.source.IsObject()) {
    out.Raw(document.raw);
    return;
  }
  SourceFiltering filtering(filter);
  write_json(out, filtering.object(document.source, "", false));
}

struct HitsPage {
  std::vector<Hit> hits;
  size_t total = 0;
  bool scored = true;  // _score is tracked (no sort, or a sort on _score)
  double score = 1.0;
};

HitsPage select_hits(const SearchRequest& request, const Documents& matched) {
  HitsPage page;
  page.scored =
      request.sort.empty() || std::any_of(request.sort.begin(), request.sort.end(),
                                          [](const SortKey& key) { return key.field == "_score"; });
  page.score = !request.query || request.query->scores() ? 1.0 : 0.0;
  int64_t ordinal = 0;
  for (const auto* document : matched) {
    if (request.post_filter && !request.post_filter->matches(*document)) {
      ++ordinal;
      continue;
    }
    Hit hit{document, ordinal++, {}};
    for (const auto& key : request.sort)
      hit.sort.push_back(sort_value(*document, key, hit.ordinal));
    page.hits.push_back(std::move(hit));
  }
  page.total = page.hits.size();
  std::stable_sort(page.hits.begin(), page.hits.end(),
                   [&](const Hit& a, const Hit& b) { return sorts_before(a, b, request.sort); });
  if (request.has_search_after) {
    std::erase_if(page.hits, [&](const Hit& hit) {
      return !comes_after(hit, request.search_after, request.sort);
    });
  }
  auto from = std::min(page.hits.size(), static_cast<size_t>(request.from));
  auto end = std::min(page.hits.size(), static_cast<size_t>(request.from + request.size));
  page.hits = std::vector<Hit>(std::make_move_iterator(page.hits.begin() + from),
                               std::make_move_iterator(page.hits.begin() + end));
  return page;
}

void write_total(JsonOut& out, const SearchRequest& request, size_t total) {
  if (!request.track_total_hits) return;
  auto tracked = static_cast<uint64_t>(*request.track_total_hits);
  bool capped = total > tracked;
  uint64_t value = capped ? tracked : total;
  out.Key("total");
  if (request.total_as_int) {
    out.Uint64(value);
    return;
  }
  out.StartObject();
  out.Field("value", value);
  out.Field("relation", capped ? "gte" : "eq");
  out.EndObject();
}

void write_page(JsonOut& out, const SearchRequest& request, const HitsPage& page) {
  out.Key("hits");
  out.StartObject();
  write_total(out, request, page.total);
  out.Key("max_score");
  if (page.scored && !page.hits.empty()) {
    out.Double(page.score);
  } else {
    out.Null();
  }
  out.Key("hits");
  out.StartArray();
  for (const auto& hit : page.hits) {
    out.StartObject();
    out.Field("_index", hit.document->index);
    out.Field("_id", hit.document->id);
    out.Key("_score");
    page.scored ? out.Double(page.score) : out.Null();
    write_source(out, *hit.document, request.source);
    if (!request.sort.empty()) {
      out.Key("sort");
      out.StartArray();
      for (size_t i = 0; i < request.sort.size(); ++i)
        write_sort_value(out, request.sort[i], hit.sort[i], page.score);
      out.EndArray();
    }
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
}

}  // namespace

void check_sort_fields(const std::vector<SortKey>& keys, const std::vector<SearchDocument>& all) {
  for (const auto& key : keys) {
    if (key.field == "_score" || key.field == "_doc" || key.unmapped_ok || all.empty()) continue;
    bool mapped = std::any_of(all.begin(), all.end(), [&](const SearchDocument& document) {
      std::vector<const Json*> values;
      field_values(document.source, key.field, values);
      return !values.empty();
    });
    if (!mapped)
      throw SearchError(400, "query_shard_exception",
                        "No mapping found for [" + key.field + "] in order to sort on", true);
  }
}

void write_hits(JsonOut& out, const SearchRequest& request, const Documents& matched) {
  write_page(out, request, select_hits(request, matched));
}

}  // namespace auditrelay::fakes::es
