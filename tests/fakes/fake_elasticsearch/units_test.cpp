// The fake's pure parts, without a process or a socket: filter_path, the id set, action
// lines, bulk semantics and body decoding.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_elasticsearch/action_line.h"
#include "tests/fakes/fake_elasticsearch/bulk.h"
#include "tests/fakes/fake_elasticsearch/id_set.h"
#include "tests/fakes/fake_elasticsearch/json_out.h"
#include "tests/fakes/fake_elasticsearch/request_checks.h"

namespace auditrelay::fakes::es {
namespace {

// {"a":{"b":1,"c":[{"d":2,"e":3},{"e":4}],"f":[5,6]},"g":"x"} through a filter.
std::string filtered(const std::string& spec) {
  FilterPath filter(spec);
  std::string out;
  JsonOut json(out, filter);
  json.StartObject();
  json.Key("a");
  json.StartObject();
  json.Field("b", 1);
  json.Key("c");
  json.StartArray();
  json.StartObject();
  json.Field("d", 2);
  json.Field("e", 3);
  json.EndObject();
  json.StartObject();
  json.Field("e", 4);
  json.EndObject();
  json.EndArray();
  json.Key("f");
  json.StartArray();
  json.Int64(5);
  json.Int64(6);
  json.EndArray();
  json.EndObject();
  json.Field("g", "x");
  json.EndObject();
  return out;
}

}  // namespace

TEST_CASE("filter_path keeps matching leaves and their ancestors only") {
  CHECK(filtered("") == R"({"a":{"b":1,"c":[{"d":2,"e":3},{"e":4}],"f":[5,6]},"g":"x"})");
  CHECK(filtered("g") == R"({"g":"x"})");
  CHECK(filtered("a.c.d") == R"({"a":{"c":[{"d":2}]}})");
  CHECK(filtered("a.c.e,g") == R"({"a":{"c":[{"e":3},{"e":4}]},"g":"x"})");
  CHECK(filtered("a.f") == R"({"a":{"f":[5,6]}})");
  CHECK(filtered("a.*") == R"({"a":{"b":1,"c":[{"d":2,"e":3},{"e":4}],"f":[5,6]}})");
  CHECK(filtered("**.e") == R"({"a":{"c":[{"e":3},{"e":4}]}})");
  CHECK(filtered("a.**") == R"({"a":{"b":1,"c":[{"d":2,"e":3},{"e":4}],"f":[5,6]}})");
  CHECK(filtered("*.b, g") == R"({"a":{"b":1},"g":"x"})");
  CHECK(filtered("nothing.here") == "{}");
  CHECK(filtered("-g") == R"({"a":{"b":1,"c":[{"d":2,"e":3},{"e":4}],"f":[5,6]},"g":"x"})");
  CHECK(wildcard_match("logs-*-*", "logs-audit-default"));
  CHECK_FALSE(wildcard_match("logs-*-*", "logs-audit"));
}

TEST_CASE("JsonOut escapes strings") {
  FilterPath none;
  std::string out;
  JsonOut json(out, none);
  json.StartObject();
  json.Field("k", "quote\" back\\ nl\n ctl\x01 utf8 \xc3\xa9");
  json.EndObject();
  CHECK(out == "{\"k\":\"quote\\\" back\\\\ nl\\n ctl\\u0001 utf8 \xc3\xa9\"}");
}

TEST_CASE("IdSet: insert, duplicates, erase and insertion order across growth") {
  auto key = [](int i) { return std::string("t\0id", 4) + std::to_string(i); };
  IdSet ids;
  const int n = 200000;
  bool all_new = true;
  for (int i = 0; i < n; ++i)
    all_new = ids.insert(key(i)) && all_new;
  CHECK(all_new);
  CHECK(ids.size() == static_cast<size_t>(n));
  CHECK_FALSE(ids.insert(key(7)));
  CHECK(ids.contains(key(n - 1)));
  CHECK_FALSE(ids.contains(key(n)));
  CHECK(ids.erase(key(3)));
  CHECK_FALSE(ids.erase(key(3)));
  CHECK(ids.size() == static_cast<size_t>(n - 1));
  CHECK(ids.insert(key(3)));  // back, at the end of the order
  std::vector<std::string> order;
  ids.for_each([&](std::string_view k) {
    if (order.size() < 4) order.emplace_back(k);
  });
  CHECK(order == std::vector<std::string>{key(0), key(1), key(2), key(4)});
  ids.clear();
  CHECK(ids.size() == 0);
  CHECK_FALSE(ids.contains(key(1)));
}

TEST_CASE("IdSet: reserve keeps the keys already in and holds those that follow") {
  auto key = [](int i) { return std::string("t\0id", 4) + std::to_string(i); };
  IdSet ids;
  for (int i = 0; i < 1000; ++i)
    ids.insert(key(i));
  CHECK(ids.erase(key(10)));
  ids.reserve(300000, 16);
  CHECK(ids.size() == 999);
  CHECK(ids.contains(key(999)));
  CHECK_FALSE(ids.contains(key(10)));
  CHECK_FALSE(ids.insert(key(0)));
  bool all_new = true;
  for (int i = 1000; i < 300000; ++i)
    all_new = ids.insert(key(i)) && all_new;
  CHECK(all_new);
  CHECK(ids.size() == 299999);
  std::vector<std::string> order;
  ids.for_each([&](std::string_view k) {
    if (order.size() < 3) order.emplace_back(k);
  });
  CHECK(order == std::vector<std::string>{key(0), key(1), key(2)});
}

TEST_CASE("action lines: parameters, and the errors of Elasticsearch's parser") {
  ActionLine action;
  REQUIRE(parse_action_line(R"({"create":{"_index":"logs-a-b","_id":"x1","pipeline":"p"}})", 1,
                            action));
  CHECK(action.op == BulkOp::kCreate);
  CHECK(action.index == "logs-a-b");
  CHECK(action.id == "x1");
  REQUIRE(parse_action_line(R"( {"delete":{"_id":42}} )", 3, action));
  CHECK(action.op == BulkOp::kDelete);
  CHECK(action.index.empty());
  CHECK(action.id == "42");

  auto error_of = [&](const char* line) {
    CHECK_FALSE(parse_action_line(line, 5, action));
    return action.error_type + ": " + action.error_reason;
  };
  CHECK(error_of(R"({"upsert":{}})") ==
        "illegal_argument_exception: Malformed action/metadata line [5], expected one of "
        "[create, delete, index, update] but found [upsert]");
  CHECK(error_of(R"({"create":{},"index":{}})") ==
        "illegal_argument_exception: Malformed action/metadata line [5], expected END_OBJECT "
        "but found [FIELD_NAME]");
  CHECK(error_of(R"({"create":{"_type":"doc"}})") ==
        "illegal_argument_exception: Action/metadata line [5] contains an unknown parameter "
        "[_type]");
  CHECK(error_of(R"({"create":"x"})") ==
        "illegal_argument_exception: Malformed action/metadata line [5], expected START_OBJECT "
        "but found [VALUE_STRING]");
  CHECK(error_of("[]").find("expected START_OBJECT or END_OBJECT but found [START_ARRAY]") !=
        std::string::npos);
  CHECK(error_of("{}").find("expected FIELD_NAME but found [END_OBJECT]") != std::string::npos);
  CHECK(error_of(R"({"create":{)").rfind("x_content_parse_exception: [5:", 0) == 0);
}

TEST_CASE("bulk semantics: index, update, delete, and an action cut short") {
  ClusterStore store(false, true);
  Stats stats;
  Faults faults;
  Random random;
  BulkProcessor bulk(store, stats, faults, random, true);
  FilterPath statuses("items.*.status,items.*.result");
  uint64_t items = 0;
  auto run = [&](const std::string& body) {
    return bulk.process(body, "classic", statuses, &items).body;
  };
  CHECK(run("{\"index\":{\"_id\":\"1\"}}\n{}\n{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n") ==
        R"({"items":[{"index":{"result":"created","status":201}},)"
        R"({"index":{"result":"updated","status":200}}]})");
  CHECK(run("{\"update\":{\"_id\":\"1\"}}\n{\"doc\":{}}\n{\"update\":{\"_id\":\"2\"}}\n{}\n") ==
        R"({"items":[{"update":{"result":"updated","status":200}},{"update":{"status":404}}]})");
  CHECK(run("{\"delete\":{\"_id\":\"1\"}}\n{\"delete\":{\"_id\":\"1\"}}\n") ==
        R"({"items":[{"delete":{"result":"deleted","status":200}},)"
        R"({"delete":{"result":"not_found","status":404}}]})");
  // Strict mode parses sources fully; the action without its source line is ignored.
  CHECK(run("{\"create\":{}}\n{\"a\":}\n{\"create\":{}}\n") ==
        R"({"items":[{"create":{"status":400}}]})");
  CHECK(items == 1);
  CHECK(store.indexed() == 0);
}

TEST_CASE("bulk responses are the same whether successful items are written once or each") {
  // Created, updated, deleted and not_found items (the kinds written once per request when
  // the filter allows), between errors, into two indices.
  const std::string body =
      "{\"create\":{\"_id\":\"1\"}}\n{}\n{\"create\":{\"_id\":\"2\"}}\n{}\n"
      "{\"create\":{\"_id\":\"1\"}}\n{}\n{\"index\":{\"_id\":\"2\"}}\n{}\n"
      "{\"index\":{\"_index\":\"other\",\"_id\":\"3\"}}\n{}\n"
      "{\"update\":{\"_id\":\"9\"}}\n{\"doc\":{}}\n{\"delete\":{\"_id\":\"2\"}}\n"
      "{\"delete\":{\"_id\":\"2\"}}\n{\"create\":{\"_id\":\"4\"}}\n[1]\n"
      "{\"create\":{\"_id\":\"5\"}}\n{}\n";
  for (const char* spec :
       {"", "errors,items.*.status,items.*.error.type,items.*.error.reason", "items.*.status",
        "items.*._id", "items.*._seq_no,items.*.status", "items.*.create", "items.**", "**",
        "items.*.*.result", "**._index", "items.*._shards.total", "errors", "took", "nothing.here",
        "items.*.error"}) {
    const std::string filter_path = spec;
    CAPTURE(filter_path);
    FilterPath filter(filter_path);
    std::string responses[2];
    for (int cache = 0; cache < 2; ++cache) {
      ClusterStore store(false, true);
      Stats stats;
      Faults faults;
      Random random;
      BulkProcessor bulk(store, stats, faults, random, false);
      bulk.set_item_cache(cache == 1);
      uint64_t items = 0;
      std::string response = bulk.process(body, "classic", filter, &items).body;
      CHECK(items == 10);
      // "took" is the time the request took: whatever it was, it is not compared.
      if (size_t took = response.find("\"took\":"); took != std::string::npos) {
        size_t end = response.find_first_not_of("0123456789", took + 7);
        response.replace(took + 7, end - took - 7, "0");
      }
      responses[cache] = response;
    }
    CHECK(responses[1] == responses[0]);
  }
}

TEST_CASE("request checks: Content-Type forms and Content-Encoding") {
  http::Request request;
  auto accepted = [&](const std::string& type) {
    request.headers = {{"content-type", type}};
    return !check_content_type(request).has_value();
  };
  CHECK(accepted("application/json"));
  CHECK(accepted("application/x-ndjson; charset=UTF-8"));
  CHECK(accepted("application/vnd.elasticsearch+x-ndjson;compatible-with=8"));
  CHECK_FALSE(accepted("application/vnd.elasticsearch+x-ndjson"));
  CHECK_FALSE(accepted("application/json; charset=latin1"));
  CHECK_FALSE(accepted("text/plain"));

  std::string storage;
  request.headers = {{"Content-Encoding", "gzip"}};
  request.body = gzip("part one, ") + gzip("part two\n");  // two members are one body
  auto decoded = decode_body(request, storage);
  CHECK(decoded.error.empty());
  CHECK(decoded.bytes == "part one, part two\n");
  request.body = request.body.substr(0, request.body.size() - 6);
  CHECK_FALSE(decode_body(request, storage).error.empty());
  request.headers = {{"Content-Encoding", "br"}};
  CHECK_FALSE(decode_body(request, storage).error.empty());
}

}  // namespace auditrelay::fakes::es
