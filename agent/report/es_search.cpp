#include "agent/report/es_search.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>

#include "agent/core/peer_json.h"
#include "agent/report/report_error.h"

namespace auditrelay::report {
namespace {

using rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The fields as the index template maps them (packaging/elastic/index-template.json).
constexpr const char* kTimestamp = "@timestamp";
constexpr const char* kEventType = "event.type";
constexpr const char* kProvider = "gen_ai.system";
constexpr const char* kRolloutMode = "policy.rollout_mode";
constexpr size_t kMaxBuckets = 1000;  // distinct providers, policies, codes: far fewer

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

// {"bool": {"must_not": [{"exists": field}]}}
void missing(Writer& w, const char* field) {
  w.StartObject();
  w.Key("bool");
  w.StartObject();
  w.Key("must_not");
  w.StartArray();
  exists(w, field);
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

// The outcome of a document, as report_record.cpp reads it from event.type.
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
               bool with_outcomes) {
  w.Key(name);
  w.StartObject();
  w.Key("terms");
  w.StartObject();
  w.Key("field");
  w.String(field);
  w.Key("size");
  w.Uint64(kMaxBuckets);
  if (with_missing) {
    w.Key("missing");
    w.String(kNoProvider.data(), static_cast<rapidjson::SizeType>(kNoProvider.size()));
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
    if (*filter.provider == kNoProvider)
      missing(w, kProvider);
    else
      term(w, kProvider, *filter.provider);
  }
  if (filter.allowed) {
    if (*filter.allowed) {
      w.StartObject();
      w.Key("bool");
      w.StartObject();
      w.Key("must_not");
      w.StartArray();
      blocked_query(w);
      w.EndArray();
      w.EndObject();
      w.EndObject();
    } else {
      blocked_query(w);
    }
  }
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
  w.Key("min_doc_count");
  w.Int(0);
  if (options.filter.period) {
    w.Key("extended_bounds");
    w.StartObject();
    w.Key("min");
    w.String(format_instant(options.filter.period->start_ms).c_str());
    w.Key("max");
    w.String(format_instant(options.filter.period->end_ms - 1).c_str());
    w.EndObject();
  }
  w.EndObject();
  outcome_aggs(w);
  w.EndObject();
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

// --- Reading the answer -------------------------------------------------------------------

[[noreturn]] void unexpected(const std::string& what) {
  throw ReportError("unexpected answer from Elasticsearch: " + what);
}

const Value& member(const Value& object, const char* name) {
  if (!object.IsObject()) unexpected(std::string("not an object where '") + name + "' should be");
  auto found = object.FindMember(name);
  if (found == object.MemberEnd()) unexpected(std::string("no '") + name + "'");
  return found->value;
}

uint64_t doc_count(const Value& bucket) {
  const Value& count = member(bucket, "doc_count");
  if (!count.IsUint64()) unexpected("doc_count is not a count");
  return count.GetUint64();
}

Counts bucket_counts(const Value& bucket) {
  Counts c;
  c.requests = doc_count(bucket);
  c.blocked = doc_count(member(bucket, "blocked"));
  c.warned = doc_count(member(bucket, "warned"));
  c.allowed = c.requests - c.blocked;
  return c;
}

std::string bucket_key(const Value& bucket) {
  const Value& key = member(bucket, "key");
  if (key.IsString()) return {key.GetString(), key.GetStringLength()};
  auto as_string = bucket.FindMember("key_as_string");
  if (as_string != bucket.MemberEnd() && as_string->value.IsString())
    return as_string->value.GetString();
  unexpected("a bucket key is not a string");
}

const Value& buckets(const Value& aggregations, const char* name) {
  const Value& list = member(member(aggregations, name), "buckets");
  if (!list.IsArray()) unexpected(std::string(name) + ".buckets is not an array");
  return list;
}

Breakdown breakdown(const Value& aggregations, const char* name) {
  Breakdown out;
  for (const Value& bucket : buckets(aggregations, name).GetArray())
    out.emplace_back(bucket_key(bucket), bucket_counts(bucket));
  return out;
}

// A breakdown's buckets added into `into`, merging equal keys.
void merge_into(std::map<std::string, Counts>& into, const Breakdown& from) {
  for (const auto& [key, c] : from) {
    Counts& total = into[key];
    total.requests += c.requests;
    total.allowed += c.allowed;
    total.blocked += c.blocked;
    total.warned += c.warned;
  }
}

void read_blocked(const Value& hits, Report& report) {
  RecordReader reader;
  ReportRecord record;
  for (const Value& hit : hits.GetArray()) {
    rapidjson::StringBuffer source;
    rapidjson::Writer<rapidjson::StringBuffer> w(source);
    member(hit, "_source").Accept(w);
    std::string_view json(source.GetString(), source.GetSize());
    if (std::optional<Skip> skip = reader.read(json, {"elasticsearch", 0}, 0, record))
      unexpected("a blocked request's document is not readable: " + skip->message);
    report.blocked.push_back(BlockedRequest::from(record));
  }
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
  w.Key("sort");
  w.StartArray();
  for (const char* field : {kTimestamp, "event.id"}) {
    w.StartObject();
    w.Key(field);
    w.String("asc");
    w.EndObject();
  }
  w.EndArray();
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

Report report_from_search(const std::string& answer, ReportOptions options,
                          std::vector<std::string> inputs) {
  rapidjson::Document doc;
  parse_peer_json(doc, answer);
  if (doc.HasParseError() || !doc.IsObject()) unexpected("not a JSON object");
  const Value& aggs = member(doc, "aggregations");

  Report report;
  report.options = std::move(options);
  report.source = "elasticsearch";
  report.inputs = std::move(inputs);
  if (report.options.filter.period) {
    report.period = *report.options.filter.period;
    report.period_given = true;
  }
  report.summary = bucket_counts(member(aggs, "requests"));
  report.records_read = report.summary.requests;
  report.providers = breakdown(aggs, "providers");
  for (const Value& bucket : buckets(aggs, "reason_codes").GetArray())
    report.reason_codes.emplace_back(bucket_key(bucket), doc_count(bucket));
  std::map<std::string, Counts> modes;
  merge_into(modes, breakdown(aggs, "rollout_modes"));
  merge_into(modes, breakdown(member(aggs, "enforcement"), "modes"));
  report.rollout_modes.assign(modes.begin(), modes.end());
  sort_breakdown(report.rollout_modes);
  sort_breakdown(report.providers);
  if (report.options.group_by != GroupBy::kNone) {
    report.groups = breakdown(aggs, "groups");
    sort_breakdown(report.groups);
  }
  const Value& policies = buckets(aggs, "policies");
  if (policies.Size() == 1) {
    report.policy_id = bucket_key(policies[0]);
    const Value& names = buckets(policies[0], "names");
    if (names.Size() > 0) report.policy_name = bucket_key(names[0]);
  }

  std::map<int64_t, Counts> timeline;
  for (const Value& bucket : buckets(aggs, "timeline").GetArray()) {
    const Value& key = member(bucket, "key");
    if (!key.IsInt64()) unexpected("a timeline bucket's key is not epoch milliseconds");
    int64_t start = bucket_start(key.GetInt64(), report.options.granularity);
    Counts c = bucket_counts(bucket);
    if (c.requests > 0) timeline[start] = c;
  }
  complete_timeline(report, std::move(timeline));

  const Value& hits = member(member(doc, "hits"), "hits");
  if (!hits.IsArray()) unexpected("hits.hits is not an array");
  read_blocked(hits, report);
  return report;
}

}  // namespace auditrelay::report
