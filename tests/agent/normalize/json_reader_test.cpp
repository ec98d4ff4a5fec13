// JsonReader: simdjson must decode strings exactly like rapidjson does (rapidjson is the
// reference, and explains rejections), and the reader's buffers must be safely reused.
#include "agent/normalize/json_reader.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <random>
#include <string>

namespace auditrelay::normalize {
namespace {

// The string value of {"s": <literal>} as JsonReader reads it, or "<rejected>".
std::string read_with(JsonReader& reader, const std::string& literal) {
  const std::string raw = R"({"s":)" + literal + "}";
  if (reader.parse(raw, 8)) return "<rejected>";
  return std::string(reader.root()["s"].get_string().value());
}

std::string read_reference(const std::string& literal) {
  const std::string raw = R"({"s":)" + literal + "}";
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(raw.c_str(), raw.size());
  if (d.HasParseError()) return "<rejected>";
  return {d["s"].GetString(), d["s"].GetStringLength()};
}

TEST_CASE("escapes at every position decode as rapidjson decodes them") {
  JsonReader reader;
  for (std::string_view escape : {"\\\"", "\\\\", "\\n", "\\u00e9", "\\ud83d\\ude00", "\\/"}) {
    for (size_t length = 0; length <= 40; ++length) {
      for (size_t at = 0; at <= length; ++at) {
        std::string body(length, 'x');
        body.insert(at, escape);
        body.insert(0, std::string(at % 3, 'y'));  // vary alignment too
        const std::string literal = "\"" + body + "\"";
        CAPTURE(literal);
        CHECK(read_with(reader, literal) == read_reference(literal));
      }
    }
  }
}

TEST_CASE("random strings, ASCII and not") {
  JsonReader reader;
  std::mt19937 rng(11);
  const std::string_view pieces[] = {"a",       "b",        " ",    "\\\"", "\\\\", "\\t",
                                     "\\u0041", "\xc3\xa9", "\x01", "\"",   "\\",   "\xff"};
  for (int i = 0; i < 20000; ++i) {
    std::string body;
    for (unsigned n = rng() % 30; n > 0; --n)
      body.append(pieces[rng() % std::size(pieces)]);
    const std::string literal = "\"" + body + "\"";
    CAPTURE(literal);
    REQUIRE(read_with(reader, literal) == read_reference(literal));
  }
}

TEST_CASE("a NUL byte anywhere in a record is refused as such") {
  JsonReader reader;
  for (std::string_view valid :
       {R"({"s":"text","n":12,"b":true,"a":[1,null]})", R"({})", R"({"k":"\u0000"})"}) {
    REQUIRE_FALSE(reader.parse(valid, 8));  // an escaped NUL is fine
    for (size_t at = 0; at <= valid.size(); ++at) {
      std::string raw(valid);
      raw.insert(at, 1, '\0');
      CAPTURE(raw);
      const std::optional<Rejection> rejection = reader.parse(raw, 8);
      REQUIRE(rejection);
      CHECK(rejection->reason == RejectReason::kInvalidJson);
      CHECK(rejection->message == "NUL byte at offset " + std::to_string(at));
    }
  }
}

TEST_CASE("a raw control byte in a key or a string is refused") {
  // The normalizer copies the strings of a record without a backslash unchecked for escapes
  // (JsonWriter::SetRecordStringsPlain): that needs every string holding one to be refused.
  JsonReader reader;
  for (int c = 0x01; c < 0x20; ++c) {
    const std::string byte(1, static_cast<char>(c));
    for (const std::string& raw : {R"({"s":"a)" + byte + R"(b"})", R"({"a)" + byte + R"(b":1})",
                                   R"({"s":[")" + byte + R"("]})"}) {
      CAPTURE(c);
      CHECK(reader.parse(raw, 8).has_value());
    }
  }
}

TEST_CASE("an unterminated string stops at the end of the record") {
  JsonReader reader;
  for (size_t length = 0; length < 24; ++length) {
    const std::string raw = R"({"s":")" + std::string(length, 'z');
    const auto rejection = reader.parse(raw, 8);
    REQUIRE(rejection.has_value());
    CHECK(rejection->reason == RejectReason::kInvalidJson);
  }
}

TEST_CASE("a big record after small ones, and small ones after it") {
  JsonReader reader;
  REQUIRE_FALSE(reader.parse(R"({"a":[1,2,3]})", 8));
  std::string big = "{";
  for (int i = 0; i < 20000; ++i)
    big += "\"k" + std::to_string(i) + "\":[\"v\",{\"n\":1}],";
  big.back() = '}';
  REQUIRE_FALSE(reader.parse(big, 8));
  CHECK(reader.root().get_object().value().size() == 20000);
  REQUIRE_FALSE(reader.parse(R"({"b":"c"})", 8));
  CHECK(reader.root().get_object().value().size() == 1);
  CHECK(reader.root()["b"].get_string().value() == "c");
}

}  // namespace
}  // namespace auditrelay::normalize

namespace auditrelay::normalize {
namespace {

TEST_CASE("a record parsed where it lies in a batch reads nothing of what follows it") {
  JsonReader reader;
  // What follows the record is garbage to a JSON parser: it must not matter.
  const std::string batch = std::string(R"({"a":"b","n":[1,2]})") + "}}]],\"\\" +
                            std::string(simdjson::SIMDJSON_PADDING, 'x');
  const std::string_view record(batch.data(), 19);
  REQUIRE_FALSE(reader.parse(record, 8, batch.size() - record.size()));
  CHECK(reader.root()["a"].get_string().value() == "b");
  CHECK(reader.root()["n"].get_array().value().size() == 2);
  // Too little room after it: copied first, the same result.
  REQUIRE_FALSE(reader.parse(record, 8, 3));
  CHECK(reader.root()["a"].get_string().value() == "b");
  // A bad record in place is explained like a copied one.
  const std::string bad = std::string(R"({"a":})") + std::string(64, ' ');
  auto rejection = reader.parse(std::string_view(bad.data(), 6), 8, bad.size() - 6);
  REQUIRE(rejection);
  CHECK(rejection->reason == RejectReason::kInvalidJson);
}

}  // namespace
}  // namespace auditrelay::normalize
