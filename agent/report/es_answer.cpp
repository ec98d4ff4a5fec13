// The report read from the answer to search_body()'s search.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>

#include "agent/core/peer_json.h"
#include "agent/report/es_search.h"
#include "agent/report/report_error.h"

namespace auditrelay::report {
namespace {

using rapidjson::Value;

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

const Value& buckets(const Value& aggregations, const char* name, bool complete = true) {
  const Value& aggregation = member(aggregations, name);
  const Value& list = member(aggregation, "buckets");
  if (!list.IsArray()) unexpected(std::string(name) + ".buckets is not an array");
  auto other = aggregation.FindMember("sum_other_doc_count");
  if (complete && other != aggregation.MemberEnd() && other->value.IsUint64() &&
      other->value.GetUint64() > 0) {
    throw ReportError(std::string("Elasticsearch's ") + name + " aggregation has more than " +
                      std::to_string(kMaxBuckets) + " values: narrow the report (--period, " +
                      "--policy, --provider)");
  }
  return list;
}

// Elasticsearch answers 200 even when some shards failed or the search timed out: such
// figures would be partial, so the report is refused.
void check_complete(const rapidjson::Document& doc) {
  auto timed_out = doc.FindMember("timed_out");
  if (timed_out != doc.MemberEnd() && timed_out->value.IsBool() && timed_out->value.GetBool())
    throw ReportError("Elasticsearch's search timed out: its figures would be partial");
  auto shards = doc.FindMember("_shards");
  if (shards == doc.MemberEnd() || !shards->value.IsObject()) return;
  auto failed = shards->value.FindMember("failed");
  if (failed == shards->value.MemberEnd() || !failed->value.IsUint64() ||
      failed->value.GetUint64() == 0)
    return;
  std::string reason;
  auto failures = shards->value.FindMember("failures");
  if (failures != shards->value.MemberEnd() && failures->value.IsArray() &&
      !failures->value.Empty() && failures->value[0].IsObject()) {
    const Value& first = failures->value[0];
    auto r = first.FindMember("reason");
    if (r != first.MemberEnd() && r->value.IsObject()) {
      auto type = r->value.FindMember("type");
      auto text = r->value.FindMember("reason");
      if (type != r->value.MemberEnd() && type->value.IsString())
        reason = std::string(": ") + type->value.GetString();
      if (text != r->value.MemberEnd() && text->value.IsString())
        reason += std::string(": ") + text->value.GetString();
    }
  }
  throw ReportError(std::to_string(failed->value.GetUint64()) +
                    " of Elasticsearch's shards failed the search" + reason +
                    ": its figures would be partial");
}

// A terms aggregation's counts, added into `into`.
void add_counts(std::map<std::string, uint64_t>& into, const Value& list) {
  for (const Value& bucket : list.GetArray())
    into[bucket_key(bucket)] += doc_count(bucket);
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

std::string to_json(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  value.Accept(w);
  return {buffer.GetString(), buffer.GetSize()};
}

const Value& hits_of(const rapidjson::Document& doc) {
  const Value& hits = member(member(doc, "hits"), "hits");
  if (!hits.IsArray()) unexpected("hits.hits is not an array");
  return hits;
}

void read_blocked(const Value& hits, Report& report) {
  RecordReader reader;
  ReportRecord record;
  for (const Value& hit : hits.GetArray()) {
    const std::string json = to_json(member(hit, "_source"));
    if (std::optional<Skip> skip = reader.read(json, {"elasticsearch", 0}, 0, record))
      unexpected("a blocked request's document is not readable: " + skip->message);
    report.blocked.push_back(BlockedRequest::from(record));
  }
}

}  // namespace

Report report_from_search(const std::string& answer, ReportOptions options,
                          std::vector<std::string> inputs) {
  rapidjson::Document doc;
  parse_peer_json(doc, answer);
  if (doc.HasParseError() || !doc.IsObject()) unexpected("not a JSON object");
  check_complete(doc);
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
  std::map<std::string, uint64_t> reasons;
  add_counts(reasons, buckets(aggs, "violation_reasons", false));
  add_counts(reasons, buckets(member(aggs, "categories"), "reasons", false));
  report.violation_reasons.assign(reasons.begin(), reasons.end());
  sort_counts(report.violation_reasons, kTopReasons);
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
  const Value& policies = buckets(aggs, "policies", false);  // size 2: one policy or more
  if (policies.Size() == 1) {
    report.policy_id = bucket_key(policies[0]);
    const Value& names = buckets(policies[0], "names", false);
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

  read_blocked(hits_of(doc), report);
  return report;
}

ExportPage read_export_page(const std::string& answer, size_t page_size) {
  rapidjson::Document doc;
  parse_peer_json(doc, answer);
  if (doc.HasParseError() || !doc.IsObject()) unexpected("not a JSON object");
  check_complete(doc);
  ExportPage page;
  const Value& hits = hits_of(doc);
  for (const Value& hit : hits.GetArray())
    page.documents.push_back(to_json(member(hit, "_source")));
  if (hits.Size() == page_size && page_size > 0) {
    const Value& sort = member(hits[hits.Size() - 1], "sort");
    if (!sort.IsArray()) unexpected("a hit's sort values are not an array");
    page.after = to_json(sort);
  }
  return page;
}

}  // namespace auditrelay::report
