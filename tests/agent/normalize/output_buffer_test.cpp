// The fast string copy of our writer must write exactly what rapidjson's own writer writes.
#include "agent/normalize/output_buffer.h"

#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <random>
#include <string>

namespace auditrelay::normalize {
namespace {

std::string reference_json(const std::string& s) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

std::string our_json(const std::string& s) {
  OutputBuffer buffer;
  rapidjson::Writer<OutputBuffer> writer(buffer);
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

TEST_CASE("strings are escaped exactly like rapidjson's writer does") {
  // Every special byte at every position of strings up to 40 bytes.
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\0', '\x7f', ' ', '\xc3'}) {
    for (size_t length = 1; length <= 40; ++length) {
      for (size_t at = 0; at < length; ++at) {
        std::string s(length, 'a');
        s[at] = special;
        CAPTURE(s);
        CHECK(our_json(s) == reference_json(s));
      }
    }
  }
  CHECK(our_json("") == "\"\"");
}

TEST_CASE("random strings") {
  std::mt19937 rng(7);
  const std::string alphabet = "ab\"\\\n\t\x01\x1f\x7f\x80\xff/ ";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 70, ' ');
    for (char& c : s)
      c = alphabet[rng() % alphabet.size()];
    CAPTURE(s);
    REQUIRE(our_json(s) == reference_json(s));
  }
}

TEST_CASE("many strings in one buffer") {
  OutputBuffer buffer;
  rapidjson::Writer<OutputBuffer> writer(buffer);
  writer.StartArray();
  std::string expected = "[";
  for (int i = 0; i < 1000; ++i) {
    const std::string s = "value \"" + std::to_string(i) + "\" with some length";
    writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    expected += (i ? "," : "") + reference_json(s);
  }
  writer.EndArray();
  CHECK(std::string(buffer.GetString(), buffer.GetSize()) == expected + "]");
}

}  // namespace
}  // namespace auditrelay::normalize
