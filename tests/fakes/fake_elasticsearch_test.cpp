// fake_elasticsearch through real HTTP: each protocol rule and fault it offers.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::fakes {
namespace {

const std::vector<std::string> kNdjson = {"Content-Type: application/x-ndjson"};

// "create" pairs for the given ids ("" = let the fake generate one).
std::string creates(const std::vector<std::string>& ids, const std::string& index = "") {
  std::string body;
  for (const auto& id : ids) {
    body += "{\"create\":{";
    if (!index.empty()) body += "\"_index\":\"" + index + "\"";
    if (!id.empty()) body += std::string(index.empty() ? "" : ",") + "\"_id\":\"" + id + "\"";
    body += "}}\n{\"@timestamp\":\"2026-11-29T10:00:00Z\",\"message\":\"m\"}\n";
  }
  return body;
}

std::vector<std::string> numbered(int n, const std::string& prefix = "d") {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i)
    ids.push_back(prefix + std::to_string(i));
  return ids;
}

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

// The status of every item of a bulk response, in order.
std::vector<int> item_statuses(const rapidjson::Document& response) {
  std::vector<int> statuses;
  for (const auto& item : response["items"].GetArray())
    statuses.push_back(item.MemberBegin()->value["status"].GetInt());
  return statuses;
}

struct Fixture {
  test::TempDir dir;
  CurlClient client;

  HttpResult bulk(FakeElasticsearch& es, const std::string& body,
                  const std::string& path = "/_bulk", std::vector<std::string> headers = kNdjson) {
    return client.request("POST", es.url() + path, body, headers);
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "GET / answers cluster info with the product header") {
  FakeElasticsearch es(dir.path());
  auto r = client.get(es.url() + "/");
  CHECK(r.status == 200);
  CHECK(r.header("X-elastic-product") == "Elasticsearch");
  CHECK(r.header("Content-Type") == "application/json");
  auto info = json(r.body);
  CHECK(std::string(info["version"]["number"].GetString()) == "8.15.0");
  CHECK(info.HasMember("cluster_name"));
  CHECK(info.HasMember("tagline"));
}

TEST_CASE_FIXTURE(Fixture, "bulk create: 201 with the data stream's backing index, then 409") {
  FakeElasticsearch es(dir.path());
  auto first = bulk(es, creates({"a", "b"}), "/logs-audit-default/_bulk");
  REQUIRE(first.status == 200);
  auto doc = json(first.body);
  CHECK_FALSE(doc["errors"].GetBool());
  const auto& created = doc["items"][0]["create"];
  CHECK(created["status"].GetInt() == 201);
  CHECK(std::string(created["result"].GetString()) == "created");
  CHECK(std::string(created["_index"].GetString()).rfind(".ds-logs-audit-default-", 0) == 0);
  CHECK(created["_seq_no"].GetUint64() == 0);
  CHECK(doc["items"][1]["create"]["_seq_no"].GetUint64() == 1);

  auto again = json(bulk(es, creates({"a", "c"}), "/logs-audit-default/_bulk").body);
  CHECK(again["errors"].GetBool());
  CHECK(item_statuses(again) == std::vector<int>{409, 201});
  const auto& error = again["items"][0]["create"]["error"];
  CHECK(std::string(error["type"].GetString()) == "version_conflict_engine_exception");
  CHECK(std::string(error["reason"].GetString()) ==
        "[a]: version conflict, document already exists (current version [1])");

  CHECK(es.indexed() == 3);
  auto ids = es.ids();
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"logs-audit-default\ta", "logs-audit-default\tb",
                                        "logs-audit-default\tc"});
  auto stats = es.stats();
  CHECK(stats["items_by_status"]["201"].GetUint64() == 3);
  CHECK(stats["items_by_status"]["409"].GetUint64() == 1);
  CHECK(stats["bulk_requests"].GetUint64() == 2);
  CHECK(stats["connections"].GetUint64() == 1);  // keep-alive
}

TEST_CASE_FIXTURE(Fixture, "malformed bodies are refused whole, bad sources per item") {
  FakeElasticsearch es(dir.path());
  auto body = creates({"x"}, "logs-a-b");
  body.pop_back();
  auto no_newline = bulk(es, body);
  CHECK(no_newline.status == 400);
  std::string reason = json(no_newline.body)["error"]["reason"].GetString();
  CHECK(reason == "The bulk request must be terminated by a newline [\\n]");

  auto broken = bulk(es, "{\"create\":{\"_index\":}}\n{}\n");
  CHECK(broken.status == 400);
  CHECK(std::string(json(broken.body)["error"]["type"].GetString()) == "x_content_parse_exception");
  auto unknown = bulk(es, "{\"upsert\":{\"_index\":\"x\"}}\n{}\n");
  CHECK(unknown.status == 400);
  CHECK(std::string(json(unknown.body)["error"]["type"].GetString()) ==
        "illegal_argument_exception");
  CHECK(bulk(es, "").status == 400);
  CHECK(bulk(es, creates({"y"})).status == 400);  // no index anywhere

  auto not_object = json(bulk(es, "{\"create\":{\"_index\":\"logs-a-b\"}}\n[1,2]\n").body);
  CHECK(item_statuses(not_object) == std::vector<int>{400});
  CHECK(std::string(not_object["items"][0]["create"]["error"]["type"].GetString()) ==
        "mapper_parsing_exception");
  CHECK(es.indexed() == 0);
}

TEST_CASE_FIXTURE(Fixture, "gzip bodies are inflated; a corrupt one is a 400") {
  FakeElasticsearch es(dir.path());
  std::vector<std::string> headers = kNdjson;
  headers.push_back("Content-Encoding: gzip");
  auto ok = bulk(es, gzip(creates(numbered(50), "logs-z-default")), "/_bulk", headers);
  CHECK(ok.status == 200);
  CHECK(es.indexed() == 50);
  std::string corrupt = gzip(creates({"q"}, "logs-z-default"));
  corrupt[corrupt.size() / 2] ^= 0x55;
  corrupt.resize(corrupt.size() - 4);
  CHECK(bulk(es, corrupt, "/_bulk", headers).status == 400);
  auto requests = es.requests();
  REQUIRE(requests.Size() == 2);
  CHECK(requests[0]["gzip"].GetBool());
  CHECK(requests[0]["items"].GetUint64() == 50);
  CHECK(requests[0]["status"].GetInt() == 200);
  CHECK(std::string(requests[0]["content_type"].GetString()) == "application/x-ndjson");
}

TEST_CASE_FIXTURE(Fixture, "filter_path keeps only matching leaves") {
  FakeElasticsearch es(dir.path());
  bulk(es, creates({"a"}, "logs-f-default"));
  auto body = creates({"a", "b"}, "logs-f-default");
  CHECK(bulk(es, body, "/_bulk?filter_path=errors,items.*.status").body ==
        R"({"errors":true,"items":[{"create":{"status":409}},{"create":{"status":201}}]})");
  CHECK(
      bulk(es, creates({"a"}, "logs-f-default"),
           "/_bulk?filter_path=items.*.error.type,items.*._id")
          .body ==
      R"({"items":[{"create":{"_id":"a","error":{"type":"version_conflict_engine_exception"}}}]})");
  // Only failed items carry an error: the others vanish, and with them an empty array.
  CHECK(bulk(es, creates({"c"}, "logs-f-default"), "/_bulk?filter_path=items.*.error").body ==
        "{}");
  auto took = json(bulk(es, creates({"d"}, "logs-f-default"), "/_bulk?filter_path=took").body);
  CHECK(took.MemberCount() == 1);
  CHECK(took.HasMember("took"));
  CHECK(bulk(es, creates({"e"}, "logs-f-default"), "/_bulk?filter_path=items.*.result%2Cerrors")
            .body == R"({"errors":false,"items":[{"create":{"result":"created"}}]})");
}

TEST_CASE_FIXTURE(Fixture, "Content-Type is checked like Elasticsearch does") {
  FakeElasticsearch es(dir.path());
  auto body = creates({"a"}, "logs-c-default");
  auto text = bulk(es, body, "/_bulk", {"Content-Type: text/plain"});
  CHECK(text.status == 406);
  CHECK(text.body ==
        R"({"error":"Content-Type header [text/plain] is not supported","status":406})");
  CHECK(bulk(es, body, "/_bulk", {"Content-Type: application/json; charset=UTF-8"}).status == 200);
  CHECK(bulk(es, creates({"b"}, "logs-c-default"), "/_bulk",
             {"Content-Type: application/vnd.elasticsearch+x-ndjson; compatible-with=8"})
            .status == 200);
}

TEST_CASE_FIXTURE(Fixture, "authentication: API key, basic and bearer") {
  FakeElasticsearch es(dir.path(), {"--api-key", "aWQ6a2V5", "--user", "elastic", "--password",
                                    "s3cret", "--bearer", "tok"});
  auto body = creates({"a"}, "logs-s-default");
  auto missing = bulk(es, body);
  CHECK(missing.status == 401);
  CHECK_FALSE(missing.header("WWW-Authenticate").empty());
  auto error = json(missing.body);
  CHECK(std::string(error["error"]["type"].GetString()) == "security_exception");
  CHECK(std::string(error["error"]["reason"].GetString()) ==
        "missing authentication credentials for REST request [/_bulk]");
  auto with = [&](const std::string& authorization) {
    auto headers = kNdjson;
    headers.push_back("Authorization: " + authorization);
    return bulk(es, creates({""}, "logs-s-default"), "/_bulk", headers).status;
  };
  CHECK(with("ApiKey wrong") == 401);
  CHECK(with("ApiKey aWQ6a2V5") == 200);
  CHECK(with("Basic ZWxhc3RpYzpzM2NyZXQ=") == 200);  // elastic:s3cret
  CHECK(with("Basic ZWxhc3RpYzp3cm9uZw==") == 401);
  CHECK(with("Bearer tok") == 200);
  CHECK(client.get(es.url() + "/").status == 401);
  CHECK(es.indexed() == 3);
}

TEST_CASE_FIXTURE(Fixture,
                  "index ops into a data stream fail per item; classic indices take them") {
  FakeElasticsearch es(dir.path());
  auto body = std::string("{\"index\":{\"_index\":\"logs-x-default\",\"_id\":\"1\"}}\n{}\n") +
              "{\"index\":{\"_index\":\"plain-index\",\"_id\":\"1\"}}\n{}\n";
  auto doc = json(bulk(es, body).body);
  CHECK(item_statuses(doc) == std::vector<int>{400, 201});
  const auto& error = doc["items"][0]["index"]["error"];
  CHECK(std::string(error["reason"].GetString()) ==
        "only write ops with an op_type of create are allowed in data streams");
  CHECK(std::string(doc["items"][1]["index"]["_index"].GetString()) == "plain-index");
}

TEST_CASE_FIXTURE(Fixture, "item faults: seeded ratios, and mapping errors by id") {
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"item_429_ratio":0.3,"item_503_ratio":0.2,"item_400_ids":["bad"],"seed":7})");
  auto ids = numbered(1000);
  ids.push_back("bad");
  auto first = item_statuses(json(bulk(es, creates(ids, "logs-r-default")).body));
  std::map<int, int> counts;
  for (int s : first)
    counts[s]++;
  CHECK(counts[429] > 240);
  CHECK(counts[429] < 360);
  CHECK(counts[503] > 150);
  CHECK(counts[503] < 250);
  CHECK(es.indexed() == static_cast<uint64_t>(counts[201]));

  es.reset();
  es.set_faults(R"({"item_400_ids":["bad"],"seed":7})");  // same seed, same pattern
  auto second = item_statuses(json(bulk(es, creates(ids, "logs-r-default")).body));
  CHECK(second == first);

  es.set_faults(R"({"item_429_ratio":0,"item_503_ratio":0})");
  auto bad = json(bulk(es, creates({"bad"}, "logs-r-default")).body);
  const auto& error = bad["items"][0]["create"]["error"];
  CHECK(bad["items"][0]["create"]["status"].GetInt() == 400);
  CHECK(std::string(error["type"].GetString()) == "mapper_parsing_exception");
  CHECK(std::string(error["reason"].GetString()) ==
        "failed to parse field [policy.risk_score] of type [long] in document with id 'bad'");
  es.clear_faults();
  CHECK(bulk(es, creates({"bad"}, "logs-r-default")).status == 200);
  CHECK(es.ids().size() == es.indexed());
}

TEST_CASE_FIXTURE(Fixture, "item fault 500: a seeded ratio of illegal_state_exception items") {
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"item_500_ratio":0.25,"seed":3})");
  auto ids = numbered(1000, "e");
  auto doc = json(bulk(es, creates(ids, "logs-r-default")).body);
  CHECK(doc["errors"].GetBool());
  std::map<int, int> counts;
  for (int s : item_statuses(doc))
    counts[s]++;
  CHECK(counts[500] > 190);
  CHECK(counts[500] < 310);
  CHECK(counts[500] + counts[201] == 1000);
  CHECK(es.indexed() == static_cast<uint64_t>(counts[201]));
  for (const auto& item : doc["items"].GetArray()) {
    const auto& result = item["create"];
    if (result["status"].GetInt() != 500) continue;
    CHECK(std::string(result["error"]["type"].GetString()) == "illegal_state_exception");
    CHECK(std::string(result["error"]["index"].GetString()).rfind(".ds-logs-r-default-", 0) == 0);
    break;
  }
  CHECK(es.stats()["items_by_status"]["500"].GetUint64() == static_cast<uint64_t>(counts[500]));
  // The items answered 500 are not stored: sent again without the fault, they are created.
  es.set_faults(R"({"item_500_ratio":0})");
  auto again = item_statuses(json(bulk(es, creates(ids, "logs-r-default")).body));
  CHECK(std::count(again.begin(), again.end(), 201) == counts[500]);
  CHECK(std::count(again.begin(), again.end(), 409) == counts[201]);
  CHECK(es.indexed() == 1000);
}

TEST_CASE_FIXTURE(Fixture, "the headers of the last bulk request, as received") {
  FakeElasticsearch es(dir.path());
  CHECK(es.last_bulk_headers().empty());
  auto headers = kNdjson;
  headers.push_back("X-Tenant: blue");
  REQUIRE(bulk(es, creates({"a"}, "logs-h-default"), "/_bulk", headers).status == 200);
  REQUIRE(bulk(es, creates({"b"}, "logs-h-default")).status == 200);
  auto last = es.last_bulk_headers();
  auto named = [&](const std::string& name) {
    int n = 0;
    for (const auto& [key, value] : last)
      n += key == name ? 1 : 0;
    return n;
  };
  CHECK(named("Content-Type") == 1);
  CHECK(named("X-Tenant") == 0);  // the last request had none
  REQUIRE(bulk(es, creates({"c"}, "logs-h-default"), "/_bulk", headers).status == 200);
  last = es.last_bulk_headers();
  CHECK(std::find(last.begin(), last.end(),
                  std::pair<std::string, std::string>("X-Tenant", "blue")) != last.end());
  es.reset();  // forgets them with the statistics
  CHECK(es.last_bulk_headers().empty());
}

TEST_CASE_FIXTURE(Fixture, "whole-request refusals carry Retry-After; 413 above max_body_bytes") {
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"requests_status":429,"requests_count":2,"retry_after":"2"})");
  for (int i = 0; i < 2; ++i) {
    auto refused = bulk(es, creates({"a"}, "logs-w-default"));
    CHECK(refused.status == 429);
    CHECK(refused.header("Retry-After") == "2");
    CHECK(std::string(json(refused.body)["error"]["type"].GetString()) ==
          "es_rejected_execution_exception");
  }
  CHECK(bulk(es, creates({"a"}, "logs-w-default")).status == 200);
  es.set_faults(
      R"({"requests_status":503,"requests_count":1,"retry_after":"Sun, 29 Nov 2026 10:00:00 GMT"})");
  auto unavailable = bulk(es, creates({"b"}, "logs-w-default"));
  CHECK(unavailable.status == 503);
  CHECK(unavailable.header("Retry-After") == "Sun, 29 Nov 2026 10:00:00 GMT");

  es.set_faults(R"({"max_body_bytes":2000})");
  auto large = creates(numbered(100), "logs-w-default");
  CHECK(bulk(es, large).status == 413);
  auto headers = kNdjson;
  headers.push_back("Content-Encoding: gzip");
  CHECK(bulk(es, gzip(large), "/_bulk", headers).status == 200);  // compressed size counts
  auto stats = es.stats();
  CHECK(stats["requests_by_status"]["429"].GetUint64() == 2);
  CHECK(stats["requests_by_status"]["413"].GetUint64() == 1);
}

TEST_CASE_FIXTURE(Fixture, "dropped requests, delays, and the data port going down") {
  FakeElasticsearch es(dir.path());
  es.set_faults(R"({"drop_requests":1})");
  CHECK(bulk(es, creates({"a"}, "logs-d-default")).code == CURLE_GOT_NOTHING);
  CHECK(bulk(es, creates({"a"}, "logs-d-default")).status == 200);
  CHECK(es.requests()[0]["status"].GetInt() == 0);

  es.set_faults(R"({"delay_ms":150})");
  auto started = std::chrono::steady_clock::now();
  CHECK(bulk(es, creates({"b"}, "logs-d-default")).status == 200);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(150));
  es.clear_faults();

  es.down(std::chrono::milliseconds(300));
  CurlClient fresh;
  CHECK(fresh.get(es.url() + "/").code == CURLE_COULDNT_CONNECT);
  CHECK(test::wait_until([&] { return fresh.get(es.url() + "/").status == 200; },
                         std::chrono::seconds(5)));
  CHECK(bulk(es, creates({"c"}, "logs-d-default")).status == 200);
  CHECK(es.indexed() == 3);
}

TEST_CASE_FIXTURE(Fixture, "index templates, ILM policies and component templates") {
  FakeElasticsearch es(dir.path());
  const std::vector<std::string> json_type = {"Content-Type: application/json"};
  auto put = [&](const std::string& path, const std::string& body) {
    return client.request("PUT", es.url() + path, body, json_type);
  };
  CHECK(client.get(es.url() + "/_index_template/audit").status == 404);
  CHECK(put("/_index_template/audit", "{not json").status == 400);
  auto ok = put("/_index_template/audit",
                R"({"index_patterns":["audit-*"],"data_stream":{},"priority":200})");
  CHECK(ok.status == 200);
  CHECK(ok.body == R"({"acknowledged":true})");
  auto got = json(client.get(es.url() + "/_index_template/audit").body);
  const auto& entry = got["index_templates"][0];
  CHECK(std::string(entry["name"].GetString()) == "audit");
  CHECK(entry["index_template"]["priority"].GetInt() == 200);
  // The template makes audit-* a data stream: index ops are refused there now.
  auto item = json(bulk(es, "{\"index\":{\"_index\":\"audit-x\"}}\n{}\n").body);
  CHECK(item_statuses(item) == std::vector<int>{400});

  auto missing = client.get(es.url() + "/_ilm/policy/audit");
  CHECK(missing.status == 404);
  CHECK(std::string(json(missing.body)["error"]["type"].GetString()) ==
        "resource_not_found_exception");
  CHECK(put("/_ilm/policy/audit", R"({"policy":{"phases":{"hot":{"actions":{}}}}})").status == 200);
  auto policy = json(client.get(es.url() + "/_ilm/policy/audit").body);
  CHECK(policy["audit"]["version"].GetUint64() == 1);
  CHECK(policy["audit"].HasMember("modified_date"));
  CHECK(policy["audit"]["policy"].HasMember("phases"));

  auto component = json(client.get(es.url() + "/_component_template/logs@settings").body);
  CHECK(std::string(component["component_templates"][0]["name"].GetString()) == "logs@settings");
  CHECK(client.get(es.url() + "/_component_template/ecs@mappings").status == 200);
  CHECK(client.get(es.url() + "/no-such-index").status == 404);
  CHECK(client.get(es.url() + "/_bulk").status == 405);
}

TEST_CASE_FIXTURE(Fixture, "--no-builtin-components and --store-documents") {
  FakeElasticsearch es(dir.path(), {"--no-builtin-components", "--store-documents"});
  CHECK(client.get(es.url() + "/_component_template/logs@settings").status == 404);
  bulk(es, creates({"a"}, "logs-k-default"));
  auto documents = es.documents();
  REQUIRE(documents.size() == 1);
  auto doc = json(documents[0]);
  CHECK(std::string(doc["_id"].GetString()) == "a");
  CHECK(std::string(doc["_source"]["message"].GetString()) == "m");
  test::TempDir other;
  FakeElasticsearch plain(other.path());
  CHECK_THROWS(plain.documents());  // 400: not kept without --store-documents
}

}  // namespace auditrelay::fakes

namespace auditrelay::fakes {

TEST_CASE_FIXTURE(Fixture, "_search over stored documents: query, post_filter, sort, aggs") {
  FakeElasticsearch es(dir.path(), {"--store-documents", "--api-key", "aWQ6a2V5"});
  auto headers = kNdjson;
  headers.push_back("Authorization: ApiKey aWQ6a2V5");
  std::string body =
      R"({"create":{"_id":"1"}})"
      "\n"
      R"({"@timestamp":"2025-01-03T10:00:00Z","event":{"id":"e1","type":"denied"},"policy":{"policy_id":"p"}})"
      "\n"
      R"({"create":{"_id":"2"}})"
      "\n"
      R"({"@timestamp":"2025-01-01T10:00:00Z","event":{"id":"e2","type":["allowed","info"]},"policy":{"policy_id":"p"},"gen_ai":{"system":"openai"}})"
      "\n"
      R"({"create":{"_id":"3"}})"
      "\n"
      R"({"@timestamp":"2025-02-01T00:00:00Z","event":{"id":"e3","type":"denied"},"policy":{"policy_id":"p"}})"
      "\n";
  REQUIRE(bulk(es, body, "/logs-policy_gateway.audit-default/_bulk", headers).status == 200);
  REQUIRE(bulk(es, creates({"x"}, "logs-other-default"), "/_bulk", headers).status == 200);

  std::vector<std::string> json_headers = {"Content-Type: application/json",
                                           "Authorization: ApiKey aWQ6a2V5"};
  auto search = [&](const std::string& path, const std::string& request) {
    return client.request("POST", es.url() + path, request, json_headers);
  };
  auto r = search("/logs-policy_gateway.audit-*/_search", R"({
      "size": 1000, "track_total_hits": true,
      "query": {"bool": {"filter": [{"range": {"@timestamp": {"gte": "2025-01-01T00:00:00.000Z",
          "lt": "2025-02-01T00:00:00.000Z", "format": "strict_date_optional_time"}}}]}},
      "post_filter": {"term": {"event.type": "denied"}},
      "sort": [{"@timestamp": "asc"}, {"event.id": "asc"}],
      "_source": ["event.id"],
      "aggs": {"requests": {"filter": {"match_all": {}}},
               "timeline": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day",
                   "time_zone": "UTC", "min_doc_count": 0,
                   "extended_bounds": {"min": "2025-01-01T00:00:00.000Z",
                                       "max": "2025-01-31T23:59:59.999Z"}}},
               "providers": {"terms": {"field": "gen_ai.system", "missing": "none"}}}})");
  REQUIRE(r.status == 200);
  CHECK(r.header("X-elastic-product") == "Elasticsearch");
  auto doc = json(r.body);
  CHECK(doc["hits"]["total"]["value"].GetInt() == 1);
  CHECK(std::string(doc["hits"]["total"]["relation"].GetString()) == "eq");
  const auto& hit = doc["hits"]["hits"][0];
  CHECK(std::string(hit["_id"].GetString()) == "1");
  CHECK(std::string(hit["_index"].GetString()).rfind(".ds-logs-policy_gateway.audit-default-", 0) ==
        0);
  CHECK(std::string(hit["_source"]["event"]["id"].GetString()) == "e1");
  CHECK_FALSE(hit["_source"].HasMember("@timestamp"));
  CHECK(hit["sort"][0].GetInt64() == 1735898400000);
  CHECK(hit["_score"].IsNull());
  const auto& aggs = doc["aggregations"];
  CHECK(aggs["requests"]["doc_count"].GetInt() == 2);
  CHECK(aggs["timeline"]["buckets"].Size() == 31);
  CHECK(aggs["timeline"]["buckets"][0]["doc_count"].GetInt() == 1);
  CHECK(aggs["providers"]["buckets"].Size() == 2);  // openai and none, one each
  CHECK(doc["_shards"]["total"].GetInt() == 1);

  // /_search and GET search everything; filter_path trims the answer.
  auto all = client.request("GET", es.url() + "/_search?size=0&filter_path=hits.total", "{}",
                            json_headers);
  CHECK(all.body == R"({"hits":{"total":{"value":4,"relation":"eq"}}})");
  // A wildcard matching nothing is an empty answer; a missing concrete name a 404.
  auto none = json(search("/nothing-*/_search", "{}").body);
  CHECK(none["hits"]["total"]["value"].GetInt() == 0);
  CHECK(none["_shards"]["total"].GetInt() == 0);
  auto missing = search("/logs-absent-default,logs-other-default/_search", "{}");
  CHECK(missing.status == 404);
  CHECK(std::string(json(missing.body)["error"]["reason"].GetString()) ==
        "no such index [logs-absent-default]");
  auto unknown = search("/_search", R"({"query":{"nope":{}}})");
  CHECK(unknown.status == 400);
  CHECK(std::string(json(unknown.body)["error"]["type"].GetString()) == "parsing_exception");
  auto window = json(search("/_search", R"({"size":10001})").body);
  CHECK(std::string(window["error"]["root_cause"][0]["type"].GetString()) ==
        "illegal_argument_exception");
  CHECK(std::string(window["error"]["type"].GetString()) == "search_phase_execution_exception");
  CHECK(client
            .request("POST", es.url() + "/_search", "{}",
                     {"Content-Type: text/plain", "Authorization: ApiKey aWQ6a2V5"})
            .status == 406);
  CHECK(client.request("POST", es.url() + "/_search", "{}", {"Content-Type: application/json"})
            .status == 401);
  CHECK(client.request("DELETE", es.url() + "/_search", "", json_headers).status == 405);

  test::TempDir other;
  FakeElasticsearch plain(other.path());
  auto refused = client.request("POST", plain.url() + "/_search", "{}", kNdjson);
  CHECK(refused.status == 400);
  CHECK(std::string(json(refused.body)["error"]["type"].GetString()) ==
        "illegal_argument_exception");
}

}  // namespace auditrelay::fakes
