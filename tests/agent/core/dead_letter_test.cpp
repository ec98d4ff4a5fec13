#include "agent/core/dead_letter.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace auditrelay;

namespace {

rapidjson::Document entry_for(std::string_view raw, uint64_t full_size) {
  RecordSource source{"/var/log/gw/audit.jsonl", "1:abc"};
  RawRecord record{0, 1234, 0, raw.size(), full_size};
  Rejection rejection{RejectReason::kInvalidJson, "Missing a comma at offset 12"};
  std::string out;
  append_dead_letter_entry({"gateway", source, record, raw, rejection}, "2026-01-01T00:00:00.000Z",
                           out);
  REQUIRE(out.back() == '\n');
  rapidjson::Document doc;
  doc.Parse(out.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

}  // namespace

TEST_CASE("a dead-letter entry carries reason, source, position and the raw text") {
  auto doc = entry_for("{\"policy_id\": 1", 15);
  CHECK(std::string(doc["reason"].GetString()) == "invalid_json");
  CHECK(std::string(doc["message"].GetString()) == "Missing a comma at offset 12");
  CHECK(std::string(doc["input"].GetString()) == "gateway");
  CHECK(std::string(doc["source"].GetString()) == "/var/log/gw/audit.jsonl");
  CHECK(doc["position"].GetUint64() == 1234);
  CHECK(doc["length"].GetUint64() == 15);
  CHECK(std::string(doc["raw"].GetString()) == "{\"policy_id\": 1");
  CHECK_FALSE(doc.HasMember("raw_base64"));
  CHECK_FALSE(doc.HasMember("truncated"));
}

TEST_CASE("bytes that are not UTF-8 are kept as base64") {
  std::string raw("\xff\xfe{\x80}", 5);
  auto doc = entry_for(raw, raw.size());
  CHECK_FALSE(doc.HasMember("raw"));
  CHECK(std::string(doc["raw_base64"].GetString()) == "//57gH0=");
}

TEST_CASE("a truncated record says so and gives its real length") {
  auto doc = entry_for("xxxx", 10'000'000);
  CHECK(doc["truncated"].GetBool());
  CHECK(doc["length"].GetUint64() == 10'000'000);
}

TEST_CASE("UTF-8 validation") {
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac"));
  CHECK_FALSE(is_valid_utf8("\xc3"));
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));  // a UTF-16 surrogate
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("ab") == "YWI=");
}
