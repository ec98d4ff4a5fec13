// _search without a process: the query subset, aggregations, sort, _source, totals and
// errors, evaluated over canned documents.
#include "tests/fakes/fake_elasticsearch/search.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <deque>
#include <string>
#include <vector>

#include "tests/fakes/fake_elasticsearch/search_dates.h"

namespace auditrelay::fakes::es {
namespace {

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

// Documents in one backing index, searched in memory.
class Corpus {
 public:
  Corpus& add(const std::string& source) {
    raws_.push_back(source);
    ids_.push_back("d" + std::to_string(ids_.size() + 1));
    SearchDocument& document = documents_.emplace_back();
    document.index = ".ds-logs-a-default-2025.01.01-000001";
    document.id = ids_.back();
    document.raw = raws_.back();
    document.source.Parse(source.data(), source.size());
    REQUIRE_MESSAGE(!document.source.HasParseError(), source);
    return *this;
  }

  rapidjson::Document search(const std::string& body, const std::string& filter_path = "") {
    auto json = parse(body);
    SearchRequest request(json);
    return parse(search_response(request, documents_, 1, 3, FilterPath(filter_path)));
  }

  // The error a body is refused with: "<status> <type>: <reason>".
  std::string error(const std::string& body) {
    auto json = parse(body);
    try {
      SearchRequest request(json);
      search_response(request, documents_, 1, 0, FilterPath());
    } catch (const SearchError& e) {
      return std::to_string(e.status()) + " " + e.type() + ": " + e.what();
    }
    return "no error";
  }

  // The ids of the hits, in order.
  std::vector<std::string> ids(const std::string& body) {
    auto response = search(body);
    std::vector<std::string> ids;
    for (const auto& hit : response["hits"]["hits"].GetArray())
      ids.emplace_back(hit["_id"].GetString());
    return ids;
  }

 private:
  std::deque<std::string> raws_;
  std::deque<std::string> ids_;
  std::vector<SearchDocument> documents_;
};

using Ids = std::vector<std::string>;

Corpus audit_corpus() {
  Corpus corpus;
  corpus
      .add(R"({"@timestamp":"2025-01-03T10:00:00.000Z","event":{"id":"e1","type":"denied"},)"
           R"("policy":{"policy_id":"gpol_x","reason_code":"PII","rollout_mode":"enforce"},)"
           R"("source":{"ip":"10.0.0.1"},"http":{"request":{"id":"r1"}}})")
      .add(
          R"({"@timestamp":"2025-01-02T10:00:00.000Z","event":{"id":"e2","type":["allowed","info"]},)"
          R"("policy":{"policy_name":"gpol_x","reason_code":"WARN","rollout_mode":"monitor"}})")
      .add(R"({"@timestamp":"2025-01-05T10:00:00.000Z","event":{"id":"e3","type":"denied"},)"
           R"("gen_ai":{"system":"openai"},"policy":{"policy_id":"gpol_x"}})")
      .add(R"({"@timestamp":"2025-02-05T10:00:00.000Z","event":{"id":"e4","type":"denied"},)"
           R"("policy":{"policy_id":"gpol_x"}})")
      .add(R"({"@timestamp":"2025-01-04T10:00:00.000Z","event.type":"denied","event":{"id":"e0"},)"
           R"("policy":{"policy_id":"gpol_x","violation_reasons":["a","b"]}})")
      .add(R"({"@timestamp":"2025-01-04T11:00:00.000Z","event":{"id":"e5","type":"denied"},)"
           R"("policy":{"policy_id":"other"}})");
  return corpus;
}

// The request `auditrelay report --from-elasticsearch` sends.
const char* kReportRequest = R"({"size": 1000, "track_total_hits": true,
 "query": {"bool": {"filter": [
   {"range": {"@timestamp": {"gte": "2025-01-01T00:00:00.000Z", "lt": "2025-02-01T00:00:00.000Z", "format": "strict_date_optional_time"}}},
   {"bool": {"should": [{"term": {"policy.policy_id": "gpol_x"}}, {"term": {"policy.policy_name": "gpol_x"}}], "minimum_should_match": 1}},
   {"bool": {"must_not": [{"exists": {"field": "gen_ai.system"}}]}}]}},
 "post_filter": {"term": {"event.type": "denied"}},
 "sort": [{"@timestamp": "asc"}, {"event.id": "asc"}],
 "_source": ["@timestamp", "event.id", "http.request.id", "gen_ai.system", "policy.violation_reasons", "policy.reason_code", "source.ip"],
 "aggs": {
   "requests": {"filter": {"match_all": {}}},
   "blocked": {"filter": {"term": {"event.type": "denied"}}},
   "warned": {"filter": {"bool": {"filter": [{"term": {"event.type": "allowed"}}, {"term": {"event.type": "info"}}]}}},
   "timeline": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day", "time_zone": "UTC", "min_doc_count": 0, "extended_bounds": {"min": "2025-01-01T00:00:00.000Z", "max": "2025-01-31T23:59:59.999Z"}},
     "aggs": {"blocked": {"filter": {"term": {"event.type": "denied"}}}}},
   "providers": {"terms": {"field": "gen_ai.system", "missing": "none", "size": 1000}, "aggs": {"blocked": {"filter": {"term": {"event.type": "denied"}}}}},
   "reason_codes": {"terms": {"field": "policy.reason_code", "size": 100}}}})";

}  // namespace

TEST_CASE("search: the report request, exactly") {
  Corpus corpus = audit_corpus();
  auto r = corpus.search(kReportRequest);
  CHECK(compact(r["_shards"]) == R"({"total":1,"successful":1,"skipped":0,"failed":0})");
  CHECK(r["took"].GetInt64() == 3);
  CHECK_FALSE(r["timed_out"].GetBool());
  // Matched by the query: d1, d2, d5 (d3 has gen_ai.system, d4 is in February, d6 is
  // another policy); post_filter keeps the denied ones, d5 through its literal dotted key.
  CHECK(compact(r["hits"]["total"]) == R"({"value":2,"relation":"eq"})");
  CHECK(r["hits"]["max_score"].IsNull());
  const auto& hits = r["hits"]["hits"];
  REQUIRE(hits.Size() == 2);
  CHECK(
      compact(hits[0]) ==
      R"({"_index":".ds-logs-a-default-2025.01.01-000001","_id":"d1","_score":null,)"
      R"("_source":{"@timestamp":"2025-01-03T10:00:00.000Z","event":{"id":"e1"},)"
      R"("policy":{"reason_code":"PII"},"source":{"ip":"10.0.0.1"},"http":{"request":{"id":"r1"}}},)"
      R"("sort":[1735898400000,"e1"]})");
  CHECK(compact(hits[1]["_source"]) ==
        R"({"@timestamp":"2025-01-04T10:00:00.000Z","event":{"id":"e0"},)"
        R"("policy":{"violation_reasons":["a","b"]}})");
  CHECK(compact(hits[1]["sort"]) == R"([1735984800000,"e0"])");

  const auto& aggs = r["aggregations"];
  CHECK(compact(aggs["requests"]) == R"({"doc_count":3})");  // post_filter does not apply
  CHECK(compact(aggs["blocked"]) == R"({"doc_count":2})");
  CHECK(compact(aggs["warned"]) == R"({"doc_count":1})");  // both values of one array
  const auto& days = aggs["timeline"]["buckets"];
  REQUIRE(days.Size() == 31);
  CHECK(compact(days[0]) ==
        R"({"key_as_string":"2025-01-01T00:00:00.000Z","key":1735689600000,"doc_count":0,)"
        R"("blocked":{"doc_count":0}})");
  CHECK(compact(days[2]) ==
        R"({"key_as_string":"2025-01-03T00:00:00.000Z","key":1735862400000,"doc_count":1,)"
        R"("blocked":{"doc_count":1}})");
  CHECK(std::string(days[30]["key_as_string"].GetString()) == "2025-01-31T00:00:00.000Z");
  CHECK(compact(aggs["providers"]) ==
        R"({"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[)"
        R"({"key":"none","doc_count":3,"blocked":{"doc_count":2}}]})");
  CHECK(compact(aggs["reason_codes"]["buckets"]) ==
        R"([{"key":"PII","doc_count":1},{"key":"WARN","doc_count":1}])");
  // Members in request order.
  std::vector<std::string> names;
  for (const auto& member : aggs.GetObject())
    names.emplace_back(member.name.GetString());
  CHECK(names == std::vector<std::string>{"requests", "blocked", "warned", "timeline", "providers",
                                          "reason_codes"});
}

TEST_CASE("search: term, terms, exists and bool with multi-valued, null and missing fields") {
  Corpus corpus;
  corpus.add(R"({"tags":["a","b"],"n":5,"ok":true,"x":null})")
      .add(R"({"tags":"b","n":5.5,"ok":false,"x":[]})")
      .add(R"({"tags":[],"nested":[{"k":"v1"},{"k":"v2"}],"x":"set"})")
      .add(R"({"n":"7"})");
  CHECK(corpus.ids(R"({"query":{"term":{"tags":"a"}}})") == Ids{"d1"});
  CHECK(corpus.ids(R"({"query":{"term":{"tags":{"value":"b","boost":2}}}})") == Ids{"d1", "d2"});
  CHECK(corpus.ids(R"({"query":{"terms":{"tags":["a","zz"]}}})") == Ids{"d1"});
  CHECK(corpus.ids(R"({"query":{"term":{"ok":true}}})") == Ids{"d1"});
  CHECK(corpus.ids(R"({"query":{"term":{"ok":"false"}}})") == Ids{"d2"});
  CHECK(corpus.ids(R"({"query":{"term":{"n":5}}})") == Ids{"d1"});
  CHECK(corpus.ids(R"({"query":{"term":{"n":"5.5"}}})") == Ids{"d2"});
  CHECK(corpus.ids(R"({"query":{"term":{"n":7}}})") == Ids{"d4"});  // a keyword "7"
  CHECK(corpus.ids(R"({"query":{"term":{"nested.k":"v2"}}})") == Ids{"d3"});
  CHECK(corpus.ids(R"({"query":{"exists":{"field":"x"}}})") == Ids{"d3"});
  CHECK(corpus.ids(R"({"query":{"exists":{"field":"tags"}}})") == Ids{"d1", "d2"});
  CHECK(corpus.ids(R"({"query":{"exists":{"field":"nested"}}})") == Ids{"d3"});
  CHECK(corpus.ids(R"({"query":{"bool":{"must_not":{"exists":{"field":"tags"}}}}})") ==
        Ids{"d3", "d4"});
  CHECK(corpus.ids(R"({"query":{"bool":{"should":[{"term":{"tags":"a"}},{"term":{"n":"7"}}]}}})") ==
        Ids{"d1", "d4"});
  // should is optional beside a filter, unless minimum_should_match says otherwise.
  CHECK(corpus.ids(R"({"query":{"bool":{"filter":{"exists":{"field":"n"}},)"
                   R"("should":{"term":{"tags":"a"}}}}})") == Ids{"d1", "d2", "d4"});
  CHECK(corpus.ids(R"({"query":{"bool":{"filter":{"exists":{"field":"n"}},)"
                   R"("should":{"term":{"tags":"a"}},"minimum_should_match":"1"}}})") == Ids{"d1"});
  CHECK(corpus.ids(R"({"query":{"bool":{"should":[{"term":{"tags":"a"}},{"term":{"tags":"b"}}],)"
                   R"("minimum_should_match":2}}})") == Ids{"d1"});
  CHECK(corpus.ids(R"({"query":{"ids":{"values":["d2","d9"]}}})") == Ids{"d2"});
  CHECK(corpus.ids(R"({"query":{"prefix":{"nested.k":"v"}}})") == Ids{"d3"});
  CHECK(corpus.ids(R"({"query":{"match_none":{}}})").empty());
}

TEST_CASE("search: range on dates (rounding partial dates), epoch ms, numbers and keywords") {
  Corpus corpus;
  corpus.add(R"({"@timestamp":"2025-01-31T12:00:00Z","n":1,"k":"b"})")
      .add(R"({"@timestamp":"2025-02-01T00:00:00.000Z","n":10,"k":"c"})")
      .add(R"({"@timestamp":1735689600000,"n":2.5,"k":"a"})")  // 2025-01-01, epoch ms
      .add(R"({"@timestamp":"2025-01-15T10:00:00+02:00"})");
  // lte and gt round a date without time up to its last millisecond; gte and lt down.
  CHECK(corpus.ids(R"({"query":{"range":{"@timestamp":{"lte":"2025-01-31"}}}})") ==
        Ids{"d1", "d3", "d4"});
  CHECK(corpus.ids(R"({"query":{"range":{"@timestamp":{"lt":"2025-01-31"}}}})") == Ids{"d3", "d4"});
  CHECK(corpus.ids(R"({"query":{"range":{"@timestamp":{"gt":"2025-01-31"}}}})") == Ids{"d2"});
  CHECK(corpus.ids(R"({"query":{"range":{"@timestamp":{"gte":1738368000000}}}})") == Ids{"d2"});
  CHECK(corpus.ids(R"({"query":{"range":{"@timestamp":{"gte":"2025-01-15T08:00:00Z",)"
                   R"("lt":"2025-01-15T08:00:00.001Z"}}}})") == Ids{"d4"});
  CHECK(corpus.ids(R"({"query":{"range":{"n":{"gt":1,"lte":10}}}})") == Ids{"d2", "d3"});
  CHECK(corpus.ids(R"({"query":{"range":{"k":{"gte":"b"}}}})") == Ids{"d1", "d2"});
  CHECK(corpus.error(R"({"query":{"range":{"@timestamp":{"gte":"yesterday"}}}})")
            .rfind("400 parse_exception: failed to parse date field [yesterday]", 0) == 0);
}

TEST_CASE("search: terms aggregation order, size, missing, arrays, booleans and numbers") {
  Corpus corpus;
  corpus.add(R"({"t":["x","y","x"],"b":true,"n":3})")
      .add(R"({"t":"y","b":false,"n":3})")
      .add(R"({"t":"z","b":true,"n":1.5})")
      .add(R"({"t":null})")
      .add(R"({"u":"only"})");
  auto r = corpus.search(R"({"size":0,"aggs":{
      "t":{"terms":{"field":"t"}},
      "cut":{"terms":{"field":"t","size":1}},
      "missing":{"terms":{"field":"t","missing":"none"}},
      "b":{"terms":{"field":"b"}},
      "n":{"terms":{"field":"n"}},
      "by_key":{"terms":{"field":"t","order":{"_key":"desc"}}},
      "zero":{"filter":{"term":{"t":"z"}},"aggs":{"all":{"terms":{"field":"t","min_doc_count":0}}}}}})");
  const auto& aggs = r["aggregations"];
  // y (2 docs) before x and z (1 each, by key); x counts once in d1.
  CHECK(compact(aggs["t"]) ==
        R"({"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[)"
        R"({"key":"y","doc_count":2},{"key":"x","doc_count":1},{"key":"z","doc_count":1}]})");
  CHECK(compact(aggs["cut"]) ==
        R"({"doc_count_error_upper_bound":0,"sum_other_doc_count":2,"buckets":[)"
        R"({"key":"y","doc_count":2}]})");
  CHECK(compact(aggs["missing"]["buckets"]) ==
        R"([{"key":"none","doc_count":2},{"key":"y","doc_count":2},{"key":"x","doc_count":1},)"
        R"({"key":"z","doc_count":1}])");
  CHECK(compact(aggs["b"]["buckets"]) == R"([{"key":1,"key_as_string":"true","doc_count":2},)"
                                         R"({"key":0,"key_as_string":"false","doc_count":1}])");
  CHECK(compact(aggs["n"]["buckets"]) == R"([{"key":3,"doc_count":2},{"key":1.5,"doc_count":1}])");
  CHECK(compact(aggs["by_key"]["buckets"]) ==
        R"([{"key":"z","doc_count":1},{"key":"y","doc_count":2},{"key":"x","doc_count":1}])");
  CHECK(compact(aggs["zero"]["all"]["buckets"]) ==
        R"([{"key":"z","doc_count":1},{"key":"x","doc_count":0},{"key":"y","doc_count":0}])");
  CHECK(corpus.error(R"({"aggs":{"t":{"terms":{"field":"t","size":0}}}})") ==
        "400 illegal_argument_exception: [size] must be greater than 0. Found [0] in [t]");
}

TEST_CASE("search: date_histogram buckets, empty ones, extended_bounds, weeks, months over years") {
  Corpus corpus;
  corpus.add(R"({"@timestamp":"2024-11-20T10:00:00Z"})")
      .add(R"({"@timestamp":"2025-02-01T00:00:00Z"})")
      .add(R"({"@timestamp":"2025-02-28T23:59:59.999Z"})")
      .add(R"({"other":1})");
  auto keys = [&](const std::string& histogram) {
    auto r = corpus.search(R"({"size":0,"aggs":{"h":{"date_histogram":)" + histogram + "}}}");
    std::vector<std::string> out;
    for (const auto& bucket : r["aggregations"]["h"]["buckets"].GetArray())
      out.push_back(std::string(bucket["key_as_string"].GetString()) + "=" +
                    std::to_string(bucket["doc_count"].GetInt64()));
    return out;
  };
  using Keys = std::vector<std::string>;
  CHECK(keys(R"({"field":"@timestamp","calendar_interval":"month"})") ==
        Keys{"2024-11-01T00:00:00.000Z=1", "2024-12-01T00:00:00.000Z=0",
             "2025-01-01T00:00:00.000Z=0", "2025-02-01T00:00:00.000Z=2"});
  CHECK(keys(R"({"field":"@timestamp","calendar_interval":"1M","min_doc_count":1,)"
             R"("format":"yyyy-MM"})") == Keys{"2024-11=1", "2025-02=2"});
  CHECK(keys(R"({"field":"@timestamp","calendar_interval":"year","extended_bounds":)"
             R"({"min":"2023-06-01","max":1767225600000}})") ==
        Keys{"2023-01-01T00:00:00.000Z=0", "2024-01-01T00:00:00.000Z=1",
             "2025-01-01T00:00:00.000Z=2", "2026-01-01T00:00:00.000Z=0"});
  // ISO weeks start on Monday: 2025-02-01 is a Saturday, 2025-02-28 a Friday.
  auto weeks = keys(R"({"field":"@timestamp","calendar_interval":"week","min_doc_count":1})");
  CHECK(weeks == Keys{"2024-11-18T00:00:00.000Z=1", "2025-01-27T00:00:00.000Z=1",
                      "2025-02-24T00:00:00.000Z=1"});
  CHECK(keys(R"({"field":"@timestamp","fixed_interval":"12h","min_doc_count":1})") ==
        Keys{"2024-11-20T00:00:00.000Z=1", "2025-02-01T00:00:00.000Z=1",
             "2025-02-28T12:00:00.000Z=1"});
  // Bounds widen the data's range, never narrow it.
  auto days = keys(R"({"field":"@timestamp","calendar_interval":"day","extended_bounds":)"
                   R"({"min":"2025-02-27","max":"2025-03-01T10:00:00Z"},"min_doc_count":0})");
  REQUIRE(days.size() == 102);
  CHECK(days.front() == "2024-11-20T00:00:00.000Z=1");
  CHECK(days[73] == "2025-02-01T00:00:00.000Z=1");
  CHECK(days.back() == "2025-03-01T00:00:00.000Z=0");
  // No documents at all: the bounds alone give the buckets.
  Corpus empty;
  auto r = empty.search(R"({"size":0,"aggs":{"h":{"date_histogram":{"field":"@timestamp",)"
                        R"("calendar_interval":"day","extended_bounds":{"min":"2025-01-30",)"
                        R"("max":"2025-02-01"}}},"n":{"date_histogram":{"field":"@timestamp",)"
                        R"("calendar_interval":"day"}}}})");
  CHECK(r["aggregations"]["h"]["buckets"].Size() == 3);
  CHECK(compact(r["aggregations"]["n"]) == R"({"buckets":[]})");
  CHECK(corpus.error(R"({"aggs":{"h":{"date_histogram":{"field":"@timestamp",)"
                     R"("calendar_interval":"2d"}}}})") ==
        "400 illegal_argument_exception: The supplied calendar interval [2d] could not be parsed "
        "as a calendar interval.");
  CHECK(corpus
            .error(R"({"aggs":{"h":{"date_histogram":{"field":"@timestamp",)"
                   R"("calendar_interval":"day","time_zone":"Europe/Paris"}}}})")
            .rfind("400 illegal_argument_exception", 0) == 0);
}

TEST_CASE("search: filters, metrics and post_filter against aggregations") {
  Corpus corpus;
  corpus.add(R"({"@timestamp":"2025-01-02T00:00:00Z","k":"a","v":2})")
      .add(R"({"@timestamp":"2025-01-01T00:00:00Z","k":"b","v":[4,6]})")
      .add(R"({"@timestamp":"2025-01-03T00:00:00Z","k":"a"})");
  auto r = corpus.search(R"({"post_filter":{"term":{"k":"a"}},"aggs":{
      "f":{"filters":{"filters":{"is_a":{"term":{"k":"a"}},"is_b":{"term":{"k":"b"}}}},
           "aggs":{"n":{"value_count":{"field":"v"}}}},
      "o":{"filters":{"other_bucket_key":"rest","filters":{"is_a":{"term":{"k":"a"}}}}},
      "count":{"value_count":{"field":"k"}}, "distinct":{"cardinality":{"field":"k"}},
      "min":{"min":{"field":"v"}}, "max":{"max":{"field":"v"}}, "sum":{"sum":{"field":"v"}},
      "avg":{"avg":{"field":"v"}}, "none":{"min":{"field":"nothing"}},
      "first":{"min":{"field":"@timestamp"}}}})");
  CHECK(compact(r["hits"]["total"]) == R"({"value":2,"relation":"eq"})");
  const auto& aggs = r["aggregations"];
  CHECK(
      compact(aggs["f"]) ==
      R"({"buckets":{"is_a":{"doc_count":2,"n":{"value":1}},"is_b":{"doc_count":1,"n":{"value":2}}}})");
  CHECK(compact(aggs["o"]) == R"({"buckets":{"is_a":{"doc_count":2},"rest":{"doc_count":1}}})");
  CHECK(compact(aggs["count"]) == R"({"value":3})");
  CHECK(compact(aggs["distinct"]) == R"({"value":2})");
  CHECK(compact(aggs["min"]) == R"({"value":2.0})");
  CHECK(compact(aggs["max"]) == R"({"value":6.0})");
  CHECK(compact(aggs["sum"]) == R"({"value":12.0})");
  CHECK(compact(aggs["avg"]) == R"({"value":4.0})");
  CHECK(compact(aggs["none"]) == R"({"value":null})");
  CHECK(compact(aggs["first"]) ==
        R"({"value":1735689600000.0,"value_as_string":"2025-01-01T00:00:00.000Z"})");
}

TEST_CASE("search: sort, scores, from/size, totals and _source filtering") {
  Corpus corpus;
  corpus.add(R"({"@timestamp":"2025-01-02T00:00:00Z","k":"b","o":{"x":1,"y":{"z":2}}})")
      .add(R"({"@timestamp":"2025-01-01T00:00:00Z","k":"c"})")
      .add(R"({"@timestamp":"2025-01-03T00:00:00Z"})")
      .add(R"({"@timestamp":["2025-01-05T00:00:00Z","2024-01-01T00:00:00Z"],"k":"a"})");
  CHECK(corpus.ids(R"({"sort":[{"@timestamp":"asc"}]})") == Ids{"d4", "d2", "d1", "d3"});
  CHECK(corpus.ids(R"({"sort":[{"@timestamp":{"order":"desc"}}]})") == Ids{"d4", "d3", "d1", "d2"});
  CHECK(corpus.ids(R"({"sort":{"k":"desc"}})") == Ids{"d2", "d1", "d4", "d3"});  // missing last
  CHECK(corpus.ids(R"({"sort":["k"],"from":1,"size":2})") == Ids{"d1", "d2"});
  CHECK(corpus.ids(R"({"sort":[{"k":{"order":"asc","missing":"_first"}}]})") ==
        Ids{"d3", "d4", "d1", "d2"});
  auto sorted = corpus.search(R"({"sort":[{"k":"asc"},{"@timestamp":"asc"}],"size":4})");
  CHECK(compact(sorted["hits"]["hits"][3]["sort"]) == R"([null,1735862400000])");
  CHECK(sorted["hits"]["max_score"].IsNull());

  // No sort: indexing order, match_all scores 1.0, filter context 0.0.
  auto all = corpus.search(R"({"size":1})");
  CHECK(all["hits"]["max_score"].GetDouble() == 1.0);
  CHECK(all["hits"]["hits"][0]["_score"].GetDouble() == 1.0);
  CHECK_FALSE(all["hits"]["hits"][0].HasMember("sort"));
  auto filtered = corpus.search(R"({"query":{"bool":{"filter":{"exists":{"field":"k"}}}}})");
  CHECK(filtered["hits"]["max_score"].GetDouble() == 0.0);
  CHECK(compact(corpus.search(R"({"size":0})")["hits"]) ==
        R"({"total":{"value":4,"relation":"eq"},"max_score":null,"hits":[]})");
  CHECK(compact(corpus.search(R"({"size":0,"track_total_hits":2})")["hits"]["total"]) ==
        R"({"value":2,"relation":"gte"})");
  CHECK_FALSE(corpus.search(R"({"size":0,"track_total_hits":false})")["hits"].HasMember("total"));

  auto source = [&](const std::string& spec) {
    return compact(corpus.search(R"({"size":1,"_source":)" + spec + "}")["hits"]["hits"][0]);
  };
  CHECK(source("false").find("_source") == std::string::npos);
  CHECK(source("true").find(R"("_source":{"@timestamp")") != std::string::npos);
  CHECK(source(R"("o.y.*")").find(R"("_source":{"o":{"y":{"z":2}}})") != std::string::npos);
  CHECK(source(R"(["o*","nothing"])").find(R"("_source":{"o":{"x":1,"y":{"z":2}}})") !=
        std::string::npos);
  CHECK(source(R"({"includes":["o"],"excludes":["o.y"]})").find(R"("_source":{"o":{"x":1}})") !=
        std::string::npos);
  CHECK(source(R"({"excludes":["@timestamp","o.x"]})")
            .find(R"("_source":{"k":"b","o":{"y":{"z":2}}})") != std::string::npos);
  CHECK(source(R"(["missing"])").find(R"("_source":{})") != std::string::npos);
  // filter_path applies to the response.
  CHECK(compact(corpus.search(R"({"size":1})", "hits.hits._id")) ==
        R"({"hits":{"hits":[{"_id":"d1"}]}})");
}

TEST_CASE("search: search_after pages through the sort order, ties broken by the next key") {
  Corpus corpus;
  for (int i = 0; i < 7; ++i) {
    corpus.add(R"({"@timestamp":"2025-01-0)" + std::to_string(1 + i / 3) +
               R"(T00:00:00Z","event":{"id":"e)" + std::to_string(i) + R"("}})");
  }
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 5; ++page) {
    std::string body = R"({"size":3,"sort":[{"@timestamp":"asc"},{"event.id":"asc"}])" +
                       (after.empty() ? std::string() : R"(,"search_after":)" + after) + "}";
    auto r = corpus.search(body);
    const auto& hits = r["hits"]["hits"];
    CHECK(r["hits"]["total"]["value"].GetInt() == 7);  // the total ignores search_after
    for (const auto& hit : hits.GetArray())
      seen.push_back(hit["_source"]["event"]["id"].GetString());
    if (hits.Size() < 3) break;
    const auto& last = hits[hits.Size() - 1]["sort"];
    after = "[" + std::to_string(last[0u].GetInt64()) + ",\"" + last[1u].GetString() + "\"]";
  }
  CHECK(seen == std::vector<std::string>{"e0", "e1", "e2", "e3", "e4", "e5", "e6"});
}

TEST_CASE("search: refused bodies, with Elasticsearch's error types") {
  Corpus corpus;
  corpus.add(R"({"k":"a"})");
  CHECK(corpus.error(R"({"querry":{}})") ==
        "400 parsing_exception: Unknown key for a START_OBJECT in [querry].");
  CHECK(corpus.error(R"({"sizes":3})") ==
        "400 parsing_exception: Unknown key for a VALUE_NUMBER in [sizes].");
  CHECK(corpus.error(R"({"query":{"matchall":{}}})") ==
        "400 parsing_exception: unknown query [matchall]");
  CHECK(corpus.error(R"({"query":{"bool":{"filter":[{"nope":{}}]}}})") ==
        "400 parsing_exception: unknown query [nope]");
  CHECK(corpus.error(R"({"aggs":{"x":{"histogramm":{"field":"k"}}}})") ==
        "400 x_content_parse_exception: Unknown aggregation type [histogramm]");
  CHECK(corpus.error(R"({"aggs":{"x":{}}})") ==
        "400 parsing_exception: Missing definition for aggregation [x]");
  CHECK(
      corpus.error(R"({"aggs":{"x":{"min":{"field":"k"},"aggs":{"y":{"max":{"field":"k"}}}}}})") ==
      "400 aggregation_initialization_exception: Aggregator [x] of type [min] cannot accept "
      "sub-aggregations");
  CHECK(corpus.error(R"({"size":10001})") ==
        "400 illegal_argument_exception: Result window is too large, from + size must be less "
        "than or equal to: [10000] but was [10001]. See the scroll api for a more efficient way "
        "to request large data sets. This limit can be set by changing the "
        "[index.max_result_window] index level setting.");
  CHECK(corpus.error(R"({"size":-1})") ==
        "400 illegal_argument_exception: [size] parameter cannot be negative, found [-1]");
  CHECK(corpus.error(R"({"sort":[{"absent":"asc"}]})") ==
        "400 query_shard_exception: No mapping found for [absent] in order to sort on");
  CHECK(corpus.error(R"({"sort":[{"absent":{"order":"asc","unmapped_type":"keyword"}}]})") ==
        "no error");
  CHECK(corpus.error(R"({"search_after":[1]})").rfind("400 illegal_argument_exception", 0) == 0);
  CHECK(corpus.error(R"({"search_after":[1],"sort":["a","b"]})")
            .find("has 1 value(s) but sort has 2") != std::string::npos);
}

TEST_CASE("search: index expressions resolve to data streams and indices") {
  Target a{.name = "logs-a-default", .write_index = ".ds-logs-a-default-2025.01.01-000001"};
  Target b{.name = "logs-b-default", .write_index = ".ds-logs-b-default-2025.01.01-000001"};
  Target plain{.name = "plain", .write_index = "plain"};
  std::vector<const Target*> all = {&a, &b, &plain};
  std::string missing;
  using Set = std::set<const Target*>;
  CHECK(resolve_targets("logs-*", all, &missing) == Set{&a, &b});
  CHECK(resolve_targets("_all", all, &missing) == Set{&a, &b, &plain});
  CHECK(resolve_targets("logs-*,-logs-b-*", all, &missing) == Set{&a});
  CHECK(resolve_targets("plain,logs-b-default", all, &missing) == Set{&b, &plain});
  CHECK(resolve_targets(".ds-logs-a-default-2025.01.01-000001", all, &missing) == Set{&a});
  CHECK(resolve_targets("nothing-*", all, &missing).empty());
  CHECK(missing.empty());
  CHECK(resolve_targets("logs-*,absent", all, &missing).empty());
  CHECK(missing == "absent");
}

TEST_CASE("search dates: parsing, rounding up, formatting, calendar intervals") {
  CHECK(parse_date("2025-01-10T00:00:00.000Z") == 1736467200000);
  CHECK(parse_date("2025-01-10") == 1736467200000);
  CHECK(parse_date("2025-01-10T01:00:00+01:00") == 1736467200000);
  CHECK(parse_date("2025-01-10T00:00:00.5Z") == 1736467200500);
  CHECK(parse_date("2025-01-10", true) == 1736467200000 + 86'400'000 - 1);
  CHECK(parse_date("2025-01", true) == parse_date("2025-01-01T23:59:59.999Z"));
  CHECK(parse_date("1736467200000") == 1736467200000);
  CHECK_FALSE(parse_date("2025-02-30").has_value());
  CHECK_FALSE(parse_date("2025-01-10 00:00:00").has_value());
  CHECK(format_date(1736467200000) == "2025-01-10T00:00:00.000Z");
  CHECK(format_date(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_date(1736467200000, "yyyy-MM-dd") == "2025-01-10");
  CHECK(format_date(1736467200000, "epoch_millis") == "1736467200000");
  auto month = DateInterval::calendar("month");
  REQUIRE(month);
  CHECK(month->round_down(*parse_date("2024-12-31T23:59:59Z")) == parse_date("2024-12-01"));
  CHECK(month->next(*parse_date("2024-12-01")) == parse_date("2025-01-01"));
  auto quarter = DateInterval::calendar("quarter");
  CHECK(quarter->round_down(*parse_date("2025-08-10")) == parse_date("2025-07-01"));
  CHECK(DateInterval::calendar("week")->round_down(*parse_date("2025-01-12T23:00:00Z")) ==
        parse_date("2025-01-06"));
  CHECK(DateInterval::fixed("30m")->round_down(*parse_date("2025-01-10T10:45:00Z")) ==
        parse_date("2025-01-10T10:30:00Z"));
  CHECK_FALSE(DateInterval::fixed("1M").has_value());
  CHECK_FALSE(DateInterval::calendar("2d").has_value());
}

}  // namespace auditrelay::fakes::es
