#include "plugins/out_splunk_hec/hec_event.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <vector>

using namespace auditrelay;
using namespace auditrelay::splunk_hec;

namespace {

EventMetadata metadata(std::string index = "") {
  EventMetadata m;
  m.host = "gw-1";
  m.source = "auditrelay:splunk";
  m.sourcetype = "policy_gateway:audit";
  m.index = std::move(index);
  m.fields = {"policy.policy_id", "policy.decision", "event.outcome", "data_stream.dataset"};
  return m;
}

std::string encode_one(const EventEncoder& encoder, std::string_view document) {
  std::string out;
  encoder.append_event(document, out);
  return out;
}

// Each event of a body (events separated by newlines), parsed.
std::vector<rapidjson::Document> events_of(const std::string& body) {
  std::vector<rapidjson::Document> events;
  for (size_t start = 0; start < body.size();) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    events.emplace_back();
    events.back().Parse(body.c_str() + start, end - start);
    REQUIRE_FALSE(events.back().HasParseError());
    start = end + 1;
  }
  return events;
}

}  // namespace

TEST_CASE("epoch seconds from @timestamp, with milliseconds") {
  CHECK(epoch_seconds("2025-01-16T18:22:11.123Z") == "1737051731.123");
  CHECK(epoch_seconds("2025-01-16T18:22:11Z") == "1737051731.000");
  CHECK(epoch_seconds("2025-01-16T18:22:11.5Z") == "1737051731.500");
  CHECK(epoch_seconds("2025-01-16T18:22:11.123456789Z") == "1737051731.123");  // truncated
  CHECK(epoch_seconds("2025-01-16T20:22:11.123+02:00") == "1737051731.123");
  CHECK(epoch_seconds("2025-01-16T13:22:11.123-05:00") == "1737051731.123");
  CHECK(epoch_seconds("1970-01-01T00:00:00Z") == "0.000");
  CHECK(epoch_seconds("2024-02-29T00:00:00Z") == "1709164800.000");
  CHECK_FALSE(epoch_seconds("2025-01-16T18:22:11"));  // no zone
  CHECK_FALSE(epoch_seconds("2025-01-16"));
  CHECK_FALSE(epoch_seconds("yesterday"));
  CHECK_FALSE(epoch_seconds("2025-13-16T18:22:11Z"));
  CHECK_FALSE(epoch_seconds("2025-01-16T18:22:11.Z"));
  CHECK_FALSE(epoch_seconds("1969-12-31T23:59:59Z"));
}

TEST_CASE("one event: time, metadata, the document as is, indexed fields by full path") {
  EventEncoder encoder(metadata());
  const std::string doc =
      R"({"@timestamp":"2025-01-16T18:22:11.123Z","event":{"outcome":"failure"},)"
      R"("policy":{"policy_id":"p-7","decision":"deny","risk_score":80},)"
      R"("data_stream":{"dataset":"policy_gateway.audit"}})";
  CHECK(encode_one(encoder, doc) ==
        R"({"time":1737051731.123,"host":"gw-1","source":"auditrelay:splunk",)"
        R"("sourcetype":"policy_gateway:audit","event":)" +
            doc +
            R"(,"fields":{"policy.policy_id":"p-7","policy.decision":"deny",)"
            R"("event.outcome":"failure","data_stream.dataset":"policy_gateway.audit"}})");
}

TEST_CASE("index only when configured") {
  const std::string doc = R"({"@timestamp":"2025-01-16T18:22:11.123Z"})";
  CHECK(encode_one(EventEncoder(metadata()), doc).find("\"index\"") == std::string::npos);
  CHECK(encode_one(EventEncoder(metadata("audit")), doc) ==
        R"({"time":1737051731.123,"host":"gw-1","source":"auditrelay:splunk",)"
        R"("sourcetype":"policy_gateway:audit","index":"audit","event":)" +
            doc + "}");
}

TEST_CASE("no or unreadable @timestamp: no time (HEC uses its receive time)") {
  EventEncoder encoder(metadata());
  CHECK(encode_one(encoder, R"({"a":1})") ==
        R"({"host":"gw-1","source":"auditrelay:splunk","sourcetype":"policy_gateway:audit",)"
        R"("event":{"a":1}})");
  CHECK(encode_one(encoder, R"({"@timestamp":"soon"})").rfind(R"({"host":)", 0) == 0);
  CHECK(encode_one(encoder, R"({"@timestamp":12})").rfind(R"({"host":)", 0) == 0);
}

TEST_CASE("fields: dotted keys, numbers, booleans, arrays; objects and nulls left out") {
  EventMetadata m = metadata();
  m.fields = {"a.b", "n", "t", "list", "obj", "nul", "mixed", "empty", "flat.key", "missing.x"};
  EventEncoder encoder(m);
  const std::string out = encode_one(
      encoder, R"({"a":{"b":"x"},"n":1.5,"t":true,"list":["p","q"],"obj":{"k":1},"nul":null,)"
               R"("mixed":["s",2,{"o":1}],"empty":[],"flat.key":"v"})");
  rapidjson::Document parsed;
  parsed.Parse(out.c_str());
  REQUIRE_FALSE(parsed.HasParseError());
  const rapidjson::Value& fields = parsed["fields"];
  CHECK(std::string(fields["a.b"].GetString()) == "x");
  CHECK(std::string(fields["n"].GetString()) == "1.5");
  CHECK(std::string(fields["t"].GetString()) == "true");
  REQUIRE(fields["list"].IsArray());
  CHECK(fields["list"].Size() == 2);
  CHECK(std::string(fields["list"][1].GetString()) == "q");
  REQUIRE(fields["mixed"].IsArray());
  CHECK(fields["mixed"].Size() == 2);
  CHECK(std::string(fields["mixed"][1].GetString()) == "2");
  CHECK(std::string(fields["flat.key"].GetString()) == "v");
  CHECK_FALSE(fields.HasMember("obj"));
  CHECK_FALSE(fields.HasMember("nul"));
  CHECK_FALSE(fields.HasMember("empty"));
  CHECK_FALSE(fields.HasMember("missing.x"));
}

TEST_CASE("fields: the first occurrence counts; nothing inside arrays; escapes undone once") {
  EventMetadata m = metadata();
  m.fields = {"a", "b.c", "q"};
  EventEncoder encoder(m);
  const std::string out = encode_one(
      encoder, R"({"a":"first","list":[{"b":{"c":"in array"}}],"a":"second","q":"say \"hi\"\n",)"
               R"("b":{"c":"found"}})");
  rapidjson::Document parsed;
  parsed.Parse(out.c_str());
  REQUIRE_FALSE(parsed.HasParseError());
  const rapidjson::Value& fields = parsed["fields"];
  CHECK(std::string(fields["a"].GetString()) == "first");
  CHECK(std::string(fields["b.c"].GetString()) == "found");
  CHECK(std::string(fields["q"].GetString()) == "say \"hi\"\n");
  // The document itself goes as it came, whatever the scan stopped at.
  CHECK(out.find(R"("list":[{"b":{"c":"in array"}}])") != std::string::npos);
}

TEST_CASE("fields: a key written with escapes matches its unescaped path") {
  EventMetadata m = metadata();
  m.fields = {"ba.c", "d\"e"};
  EventEncoder encoder(m);
  const std::string out = encode_one(
      encoder, R"({"b\u0061":{"c":"found"},"d\"e":7,"@timestamp":"2025-01-16T18:22:11Z"})");
  rapidjson::Document parsed;
  parsed.Parse(out.c_str());
  REQUIRE_FALSE(parsed.HasParseError());
  CHECK(parsed["time"].GetDouble() == doctest::Approx(1737051731.0));
  CHECK(std::string(parsed["fields"]["ba.c"].GetString()) == "found");
  CHECK(std::string(parsed["fields"]["d\"e"].GetString()) == "7");
}

TEST_CASE("no configured path present: no fields member") {
  EventEncoder encoder(metadata());
  CHECK(encode_one(encoder, R"({"x":1})").find("\"fields\"") == std::string::npos);
}

TEST_CASE("metadata is JSON-escaped; an invalid document is sent as a string") {
  EventMetadata m = metadata();
  m.host = "a\"b";
  m.fields.clear();
  EventEncoder encoder(m);
  const std::string out = encode_one(encoder, "not json \"x\"");
  rapidjson::Document parsed;
  parsed.Parse(out.c_str());
  REQUIRE_FALSE(parsed.HasParseError());
  CHECK(std::string(parsed["host"].GetString()) == "a\"b");
  CHECK(std::string(parsed["event"].GetString()) == "not json \"x\"");
}

TEST_CASE("the body: the chosen items' events in order, newline between them") {
  DocumentBatch batch;
  batch.add("aaa", "logs-a-default", R"({"a":1})");
  batch.add("bbb", "logs-a-default", R"({"b":2})");
  batch.add("ccc", "logs-a-default", R"({"c":3})");
  EventMetadata m = metadata();
  m.host = "h";
  m.source = "s";
  m.sourcetype = "t";
  EventEncoder encoder(m);
  std::string body;
  encoder.append_body(batch, std::vector<uint32_t>{0, 2}, body);
  CHECK(body ==
        "{\"host\":\"h\",\"source\":\"s\",\"sourcetype\":\"t\",\"event\":{\"a\":1}}\n"
        "{\"host\":\"h\",\"source\":\"s\",\"sourcetype\":\"t\",\"event\":{\"c\":3}}");
  body.clear();
  encoder.append_body(batch, std::vector<uint32_t>{1}, body);
  CHECK(body == "{\"host\":\"h\",\"source\":\"s\",\"sourcetype\":\"t\",\"event\":{\"b\":2}}");
}

TEST_CASE("the body: documents scanned in place each give their own fields") {
  // Long enough that all but the last are followed by simdjson's padding within the batch.
  const std::string pad(80, 'x');
  DocumentBatch batch;
  for (const char* decision : {"allow", "deny", "warn"}) {
    batch.add(
        "id", "logs-a-default",
        std::string(R"({"pad":")") + pad + R"(","policy":{"decision":")" + decision + R"("}})");
  }
  EventEncoder encoder(metadata());
  std::string body;
  encoder.append_body(batch, std::vector<uint32_t>{0, 1, 2}, body);
  std::vector<std::string> decisions;
  for (const rapidjson::Document& parsed : events_of(body))
    decisions.emplace_back(parsed["fields"]["policy.decision"].GetString());
  CHECK(decisions == std::vector<std::string>{"allow", "deny", "warn"});
}

TEST_CASE("the body: nested lookups follow each document's key order and fall back per document") {
  DocumentBatch batch;
  // In order; then the same keys in another order (the lookup order learnt from the first
  // must not miss them); then the path only as a dotted key, and with an escaped key (both
  // found by the full scan); then a malformed document; then nested again.
  batch.add("1", "t", R"({"@timestamp":"2025-01-16T18:22:11Z","a":{"b":"1","c":"x"},"d":"1"})");
  batch.add("2", "t", R"({"d":"2","a":{"c":"y","b":"2"},"@timestamp":"2025-01-16T18:22:12Z"})");
  batch.add("3", "t", R"({"a.b":"3","d":"3"})");
  batch.add("4", "t", R"({"\u0061":{"b":"4"},"d":"4"})");
  batch.add("5", "t", R"({"a":{"b":"5",}})");
  batch.add("6", "t", R"({"a":{"b":"6"},"d":"6","@timestamp":"2025-01-16T18:22:16Z"})");
  EventMetadata m = metadata();
  m.fields = {"a.b", "d"};
  EventEncoder encoder(m);
  std::string body;
  encoder.append_body(batch, std::vector<uint32_t>{0, 1, 2, 3, 4, 5}, body);
  std::vector<std::string> seen;
  for (const rapidjson::Document& parsed : events_of(body)) {
    std::string line;
    if (parsed.HasMember("time")) {
      line += std::to_string(static_cast<int64_t>(parsed["time"].GetDouble()) % 100) + " ";
    }
    if (parsed.HasMember("fields")) {
      for (const auto& field : parsed["fields"].GetObject())
        line += std::string(field.name.GetString()) + "=" + field.value.GetString() + " ";
    }
    if (parsed["event"].IsString()) line += "(sent as a string)";
    seen.push_back(line);
  }
  CHECK(seen == std::vector<std::string>{"31 a.b=1 d=1 ", "32 a.b=2 d=2 ", "a.b=3 d=3 ",
                                         "a.b=4 d=4 ", "(sent as a string)", "36 a.b=6 d=6 "});
}
