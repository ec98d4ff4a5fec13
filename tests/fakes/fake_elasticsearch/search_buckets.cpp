// The bucket aggregations keyed by value: terms and date_histogram.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "tests/fakes/fake_elasticsearch/search_aggs_parts.h"
#include "tests/fakes/fake_elasticsearch/search_dates.h"

namespace auditrelay::fakes::es::aggs {
namespace {

// Elasticsearch's search.max_buckets default.
constexpr size_t kMaxBuckets = 65536;

class TermsAggregation : public Aggregation {
 public:
  TermsAggregation(const std::string& name, const Json& body, Aggregations subs)
      : subs_(std::move(subs)) {
    if (!body.IsObject()) parsing_error("[terms] expects an object");
    for (const auto& member : body.GetObject()) {
      std::string key = name_of(member.name);
      const Json& value = member.value;
      if (key == "field") {
        field_ = field_of(value, "terms");
      } else if (key == "size") {
        size_ = integer_of(value, "terms", key);
      } else if (key == "min_doc_count") {
        min_doc_count_ = integer_of(value, "terms", key);
      } else if (key == "missing") {
        missing_ = Scalar::from_json(value);
      } else if (key == "order") {
        parse_order(value);
      } else if (key != "shard_size" && key != "show_term_doc_count_error" &&
                 key != "execution_hint" && key != "collect_mode") {
        unknown_field("terms", key);
      }
    }
    if (field_.empty())
      illegal_argument("Required one of fields [field, script], but none were specified.");
    if (size_ <= 0)
      illegal_argument("[size] must be greater than 0. Found [" + std::to_string(size_) + "] in [" +
                       name + "]");
  }

  void write(JsonOut& out, const Documents& documents, const Documents& universe) const override {
    std::map<Scalar, Documents, ScalarLess> grouped;
    for (const auto* document : documents) {
      auto keys = keys_of(*document, field_);
      if (keys.empty() && missing_) keys.push_back(*missing_);
      std::sort(keys.begin(), keys.end(), ScalarLess());
      Scalar* previous = nullptr;
      for (auto& key : keys) {
        if (previous != nullptr && compare(*previous, key) == 0) continue;  // once per doc
        grouped[key].push_back(document);
        previous = &key;
      }
    }
    if (min_doc_count_ == 0) {
      for (const auto* document : universe)
        for (auto& key : keys_of(*document, field_))
          grouped.try_emplace(std::move(key));
    }
    std::vector<std::pair<const Scalar*, const Documents*>> buckets;
    for (const auto& [key, docs] : grouped)
      if (static_cast<int64_t>(docs.size()) >= min_doc_count_) buckets.emplace_back(&key, &docs);
    std::stable_sort(buckets.begin(), buckets.end(), [this](const auto& a, const auto& b) {
      return before(*a.first, a.second->size(), *b.first, b.second->size());
    });
    uint64_t other = 0;
    for (size_t i = static_cast<size_t>(size_); i < buckets.size(); ++i)
      other += buckets[i].second->size();
    if (buckets.size() > static_cast<size_t>(size_)) buckets.resize(static_cast<size_t>(size_));

    out.StartObject();
    out.Field("doc_count_error_upper_bound", 0);
    out.Field("sum_other_doc_count", other);
    out.Key("buckets");
    out.StartArray();
    for (const auto& [key, docs] : buckets) {
      out.StartObject();
      write_key(out, *key);
      write_bucket_members(out, *docs, subs_, universe);
      out.EndObject();
    }
    out.EndArray();
    out.EndObject();
  }

 private:
  // {"_count": "desc"}, {"_key": "asc"} or an array of them; by count, ties go by key asc.
  void parse_order(const Json& value) {
    const Json* order = &value;
    if (value.IsArray() && value.Size() == 1) order = &value[0];
    if (!order->IsObject() || order->MemberCount() != 1 || !order->MemberBegin()->value.IsString())
      illegal_argument("fake_elasticsearch supports terms order by one of [_count, _key] only");
    std::string key = name_of(order->MemberBegin()->name);
    by_key_ = key == "_key" || key == "_term";
    if (!by_key_ && key != "_count")
      illegal_argument("fake_elasticsearch supports terms order by one of [_count, _key] only");
    ascending_ = std::string_view(order->MemberBegin()->value.GetString()) == "asc";
  }

  bool before(const Scalar& a, size_t a_count, const Scalar& b, size_t b_count) const {
    if (by_key_) return ascending_ ? compare(a, b) < 0 : compare(a, b) > 0;
    if (a_count != b_count) return ascending_ ? a_count < b_count : a_count > b_count;
    return compare(a, b) < 0;
  }

  void write_key(JsonOut& out, const Scalar& key) const {
    out.Key("key");
    if (key.kind == Scalar::Kind::kString) {
      out.String(key.text);
    } else if (key.kind == Scalar::Kind::kBool) {
      out.Int64(static_cast<int64_t>(key.number));
      out.Field("key_as_string", key.text);
    } else if (key.integral) {
      out.Int64(key.integer);
      if (is_date_field(field_)) out.Field("key_as_string", format_date(key.integer));
    } else {
      out.Double(key.number);
    }
  }

  std::string field_;
  int64_t size_ = 10;
  int64_t min_doc_count_ = 1;
  std::optional<Scalar> missing_;
  bool by_key_ = false;
  bool ascending_ = false;
  Aggregations subs_;
};

class DateHistogramAggregation : public Aggregation {
 public:
  DateHistogramAggregation(const std::string& name, const Json& body, Aggregations subs)
      : subs_(std::move(subs)) {
    if (!body.IsObject()) parsing_error("[date_histogram] expects an object");
    for (const auto& member : body.GetObject()) {
      std::string key = name_of(member.name);
      const Json& value = member.value;
      if (key == "field") {
        field_ = field_of(value, "date_histogram");
      } else if (key == "calendar_interval" || key == "fixed_interval") {
        set_interval(key, value);
      } else if (key == "time_zone") {
        check_utc(value);
      } else if (key == "min_doc_count") {
        min_doc_count_ = integer_of(value, "date_histogram", key);
      } else if (key == "extended_bounds") {
        set_bounds(name, value);
      } else if (key == "format" && value.IsString()) {
        format_ = value.GetString();
      } else if (key == "offset" &&
                 ((value.IsString() && std::string_view(value.GetString()) == "0") ||
                  (value.IsInt64() && value.GetInt64() == 0))) {
        continue;
      } else if (key != "keyed" || !value.IsBool() || value.GetBool()) {
        unknown_field("date_histogram", key);
      }
    }
    if (field_.empty())
      illegal_argument("Required one of fields [field, script], but none were specified.");
    if (!interval_)
      illegal_argument(
          "Required one of fields [fixed_interval, calendar_interval], but none were specified.");
  }

  void write(JsonOut& out, const Documents& documents, const Documents& universe) const override {
    std::map<int64_t, Documents> buckets;
    for (const auto* document : documents) {
      std::set<int64_t> keys;
      for (const auto& key : keys_of(*document, field_))
        keys.insert(
            interval_->round_down(key.integral ? key.integer : static_cast<int64_t>(key.number)));
      for (int64_t key : keys)
        buckets[key].push_back(document);
    }
    if (min_doc_count_ == 0) add_empty_buckets(buckets);
    out.StartObject();
    out.Key("buckets");
    out.StartArray();
    for (const auto& [key, docs] : buckets) {
      if (static_cast<int64_t>(docs.size()) < min_doc_count_) continue;
      out.StartObject();
      out.Field("key_as_string", format_date(key, format_));
      out.Field("key", key);
      write_bucket_members(out, docs, subs_, universe);
      out.EndObject();
    }
    out.EndArray();
    out.EndObject();
  }

 private:
  void set_interval(const std::string& key, const Json& value) {
    std::string text = value.IsString() ? value.GetString() : "";
    if (interval_) illegal_argument("Cannot use [" + key + "] with another interval already set.");
    if (key == "calendar_interval") {
      interval_ = DateInterval::calendar(text);
      if (!interval_)
        illegal_argument("The supplied calendar interval [" + text +
                         "] could not be parsed as a calendar interval.");
    } else {
      interval_ = DateInterval::fixed(text);
      if (!interval_)
        illegal_argument("failed to parse setting [date_histogram.fixedInterval] with value [" +
                         text + "] as a time value");
    }
  }

  static void check_utc(const Json& value) {
    static const std::set<std::string, std::less<>> kUtc = {"UTC",     "Z",   "+00:00", "-00:00",
                                                            "Etc/UTC", "GMT", "+0000",  "+00"};
    std::string zone = value.IsString() ? value.GetString() : "";
    if (kUtc.count(zone) == 0)
      illegal_argument("fake_elasticsearch supports only the UTC time_zone, not [" + zone + "]");
  }

  void set_bounds(const std::string& name, const Json& value) {
    if (!value.IsObject() || !value.HasMember("min") || !value.HasMember("max"))
      parsing_error("[extended_bounds] needs both [min] and [max] in the fake");
    auto min = date_value(value["min"]);
    auto max = date_value(value["max"]);
    if (!min || !max)
      throw SearchError(400, "parse_exception",
                        "failed to parse date field [extended_bounds] with format "
                        "[strict_date_optional_time||epoch_millis]");
    if (*min > *max)
      illegal_argument("[extended_bounds.min][" + std::to_string(*min) +
                       "] cannot be greater than [extended_bounds.max][" + std::to_string(*max) +
                       "] for histogram aggregation [" + name + "]");
    bounds_ = {*min, *max};
  }

  // min_doc_count 0: every bucket between the first and the last, widened to the bounds.
  void add_empty_buckets(std::map<int64_t, Documents>& buckets) const {
    std::optional<int64_t> first, last;
    if (!buckets.empty()) {
      first = buckets.begin()->first;
      last = buckets.rbegin()->first;
    }
    if (bounds_) {
      int64_t low = interval_->round_down(bounds_->first);
      int64_t high = interval_->round_down(bounds_->second);
      first = first ? std::min(*first, low) : low;
      last = last ? std::max(*last, high) : high;
    }
    if (!first) return;
    for (int64_t key = *first; key <= *last; key = interval_->next(key)) {
      buckets.try_emplace(key);
      if (buckets.size() > kMaxBuckets)
        throw SearchError(400, "too_many_buckets_exception",
                          "Trying to create too many buckets. Must be less than or equal to: [" +
                              std::to_string(kMaxBuckets) + "] but this number of buckets was [" +
                              std::to_string(buckets.size()) +
                              "]. This limit can be set by changing the [search.max_buckets] "
                              "cluster level setting.");
    }
  }

  std::string field_;
  std::optional<DateInterval> interval_;
  int64_t min_doc_count_ = 0;
  std::optional<std::pair<int64_t, int64_t>> bounds_;
  std::string format_;
  Aggregations subs_;
};

}  // namespace

std::unique_ptr<Aggregation> terms_aggregation(const std::string& name, const Json& body,
                                               Aggregations subs) {
  return std::make_unique<TermsAggregation>(name, body, std::move(subs));
}

std::unique_ptr<Aggregation> date_histogram_aggregation(const std::string& name, const Json& body,
                                                        Aggregations subs) {
  return std::make_unique<DateHistogramAggregation>(name, body, std::move(subs));
}

}  // namespace auditrelay::fakes::es::aggs
