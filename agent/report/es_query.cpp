// The body of the one `_search` a report from Elasticsearch sends.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "agent/report/es_search.h"

namespace auditrelay::report {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The fields as the index template maps them (packaging/elastic/index-template.json).
constexpr const char* kTimestamp = "@timestamp";
constexpr const char* kEventType = "event.type";
constexpr const char* kProvider = "gen_ai.system";
constexpr const char* kRolloutMode = "policy.rollout_mode";
constexpr const char* kViolationReasons = "policy.violation_reasons";

void term(Writer& w, const char* field, std::string_view value) {
  w.StartObject();
  w.Key("term");
  w.StartObject();
  w.Key(field);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  w.EndObject();
  w.EndObject();
}

void exists(Writer& w, const char* field) {
  w.StartObject();
  w.Key("exists");
  w.StartObject();
  w.Key("field");
  w.String(field);
  w.EndObject();
  w.EndObject();
}

// {"bool": {"must_not": [<what query() writes>]}}
template <typename Query>
void must_not(Writer& w, Query&& query) {
  w.StartObject();
  w.Key("bool");
  w.StartObject();
  w.Key("must_not");
  w.StartArray();
  query();
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

void missing(Writer& w, const char* field) {
  must_not(w, [&] { exists(w, field); });
}

// The outcome of a document, as report_record.cpp reads it from event.type: blocked when it
// holds denied; warned when it holds allowed and info and not denied.
void blocked_query(Writer& w) {
  term(w, kEventType, "denied");
}
void warned_query(Writer& w) {
  w.StartObject();
  w.Key("bool");
  w.StartObject();
  w.Key("filter");
  w.StartArray();
  term(w, kEventType, "allowed");
  term(w, kEventType, "info");
  w.EndArray();
  w.Key("must_not");
  w.StartArray();
  blocked_query(w);
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

void filter_agg(Writer& w, const char* name, void (*query)(Writer&)) {
  w.Key(name);
  w.StartObject();
  w.Key("filter");
  query(w);
  w.EndObject();
}

// The sub-aggregations that make a bucket's Counts.
void outcome_aggs(Writer& w) {
  w.Key("aggs");
  w.StartObject();
  filter_agg(w, "blocked", blocked_query);
  filter_agg(w, "warned", warned_query);
  w.EndObject();
}

void terms_agg(Writer& w, const char* name, const char* field, bool with_missing,
               bool with_outcomes, size_t size = kMaxBuckets) {
  w.Key(name);
  w.StartObject();
  w.Key("terms");
  w.StartObject();
  w.Key("field");
  w.String(field);
  w.Key("size");
  w.Uint64(size);
  if (with_missing) {
    w.Key("missing");
    w.String(kNoneKey.data(), static_cast<rapidjson::SizeType>(kNoneKey.size()));
  }
  w.EndObject();
  if (with_outcomes) outcome_aggs(w);
  w.EndObject();
}

void range_query(Writer& w, const TimeRange& period) {
  w.StartObject();
  w.Key("range");
  w.StartObject();
  w.Key(kTimestamp);
  w.StartObject();
  w.Key("gte");
  w.String(format_instant(period.start_ms).c_str());
  w.Key("lt");
  w.String(format_instant(period.end_ms).c_str());
  w.Key("format");
  w.String("strict_date_optional_time");
  w.EndObject();
  w.EndObject();
  w.EndObject();
}

// The filters of a report or an export.
void filter_query(Writer& w, const Filter& filter) {
  w.StartObject();
  w.Key("bool");
  w.StartObject();
  w.Key("filter");
  w.StartArray();
  if (filter.period) range_query(w, *filter.period);
  if (filter.policy) {
    w.StartObject();
    w.Key("bool");
    w.StartObject();
    w.Key("should");
    w.StartArray();
    term(w, "policy.policy_id", *filter.policy);
    term(w, "policy.policy_name", *filter.policy);
    w.EndArray();
    w.Key("minimum_should_match");
    w.Int(1);
    w.EndObject();
    w.EndObject();
  }
  if (filter.provider) {
    if (*filter.provider == kNoneKey)
      missing(w, kProvider);
    else
      term(w, kProvider, *filter.provider);
  }
  if (filter.allowed && *filter.allowed) must_not(w, [&] { blocked_query(w); });
  if (filter.allowed && !*filter.allowed) blocked_query(w);
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

void timeline_agg(Writer& w, const ReportOptions& options) {
  w.Key("timeline");
  w.StartObject();
  w.Key("date_histogram");
  w.StartObject();
  w.Key("field");
  w.String(kTimestamp);
  w.Key("calendar_interval");
  w.String(options.granularity == Granularity::kDaily ? "day" : "month");
  w.Key("time_zone");
  w.String("UTC");
  // The days with records; complete_timeline() adds the empty ones, as for files.
  w.Key("min_doc_count");
  w.Int(1);
  w.EndObject();
  outcome_aggs(w);
  w.EndObject();
}

// "sort": earliest first, the record id breaking ties (it is unique: the documents' _id).
void time_order(Writer& w) {
  w.Key("sort");
  w.StartArray();
  for (const char* field : {kTimestamp, "event.id"}) {
    w.StartObject();
    w.Key(field);
    w.String("asc");
    w.EndObject();
  }
  w.EndArray();
}

const char* group_field(GroupBy group_by) {
  switch (group_by) {
    case GroupBy::kProvider:
      return kProvider;
    case GroupBy::kPolicy:
      return "policy.policy_id";
    case GroupBy::kDecision:
      return "event.action";
    case GroupBy::kNone:
      break;
  }
  return nullptr;
}

}  // namespace

std::string search_body(const ReportOptions& options) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("size");
  w.Uint64(std::min(options.max_blocked, kMaxSearchHits));
  w.Key("track_total_hits");
  w.Bool(true);
  w.Key("query");
  filter_query(w, options.filter);
  // Hits: the blocked requests only; the aggregations still see every matching document.
  w.Key("post_filter");
  blocked_query(w);
  time_order(w);
  w.Key("_source");
  w.StartArray();
  for (const char* field :
       {"@timestamp", "data_stream", "event", "gen_ai", "http", "source", "policy"})
    w.String(field);
  w.EndArray();

  w.Key("aggs");
  w.StartObject();
  w.Key("requests");
  w.StartObject();
  w.Key("filter");
  w.StartObject();
  w.Key("match_all");
  w.StartObject();
  w.EndObject();
  w.EndObject();
  outcome_aggs(w);
  w.EndObject();
  timeline_agg(w, options);
  terms_agg(w, "providers", kProvider, true, true);
  terms_agg(w, "reason_codes", "policy.reason_code", false, false);
  // Violation reasons, else (a policy_gateway record) the triggered categories.
  terms_agg(w, "violation_reasons", kViolationReasons, false, false, kTopReasons);
  w.Key("categories");
  w.StartObject();
  w.Key("filter");
  missing(w, kViolationReasons);
  w.Key("aggs");
  w.StartObject();
  terms_agg(w, "reasons", "policy.triggered_categories", false, false, kTopReasons);
  w.EndObject();
  w.EndObject();
  // The rollout mode, else (a governance_audit record) the enforcement, as read from files.
  terms_agg(w, "rollout_modes", kRolloutMode, false, true);
  w.Key("enforcement");
  w.StartObject();
  w.Key("filter");
  missing(w, kRolloutMode);
  w.Key("aggs");
  w.StartObject();
  terms_agg(w, "modes", "policy.enforcement", true, true);
  w.EndObject();
  w.EndObject();
  // The policy, when the documents have only one.
  w.Key("policies");
  w.StartObject();
  w.Key("terms");
  w.StartObject();
  w.Key("field");
  w.String("policy.policy_id");
  w.Key("size");
  w.Int(2);
  w.EndObject();
  w.Key("aggs");
  w.StartObject();
  w.Key("names");
  w.StartObject();
  w.Key("terms");
  w.StartObject();
  w.Key("field");
  w.String("policy.policy_name");
  w.Key("size");
  w.Int(1);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  if (const char* field = group_field(options.group_by))
    terms_agg(w, "groups", field, options.group_by == GroupBy::kProvider, true);
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string export_page_body(const Filter& filter, size_t page_size, const std::string& after) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("size");
  w.Uint64(page_size);
  w.Key("track_total_hits");
  w.Bool(false);
  w.Key("query");
  filter_query(w, filter);
  time_order(w);
  if (!after.empty()) {
    w.Key("search_after");
    w.RawValue(after.data(), after.size(), rapidjson::kArrayType);
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace auditrelay::report
