#include "agent/normalize/ecs_writer.h"

#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

namespace auditrelay::normalize {
namespace {

bool escaped_byte(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

// Plain bytes that sit next to the escaped ones in value: space, '!', '#', '[', ']', DEL and
// UTF-8 bytes.
std::string plain_text(size_t n) {
  static constexpr unsigned char kPlain[] = {' ', '!', '#', '[', ']', 'a', 0x7f, 0x80, 0xc3, 0xff};
  std::string s;
  for (size_t i = 0; i < n; ++i)
    s.push_back(static_cast<char>(kPlain[i % sizeof kPlain]));
  return s;
}

std::string rapidjson_string(std::string_view s) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return buffer.GetString();
}

std::string our_string(std::string_view s) {
  OutputBuffer buffer;
  JsonWriter w(buffer);
  write_string(w, s);
  return {buffer.GetString(), buffer.GetSize()};
}

TEST_CASE("a byte that needs escaping is found at every position of strings of every length") {
  for (size_t n = 0; n <= 40; ++n) {
    const std::string plain = plain_text(n);
    CHECK_FALSE(needs_json_escape(plain));
    CHECK(our_string(plain) == rapidjson_string(plain));
    for (size_t at = 0; at < n; ++at) {
      for (const unsigned char special : {'"', '\\', '\0', '\x01', '\x1f'}) {
        std::string s = plain;
        s[at] = static_cast<char>(special);
        REQUIRE(escaped_byte(special));
        CAPTURE(n);
        CAPTURE(at);
        CAPTURE(static_cast<int>(special));
        CHECK(needs_json_escape(s));
        CHECK(our_string(s) == rapidjson_string(s));
      }
    }
  }
}

TEST_CASE("short copies copy exactly the bytes asked for") {
  for (size_t n = 0; n <= 40; ++n) {
    const std::string source = plain_text(n);
    std::string target(n + 16, '*');
    copy_short(target.data(), source.data(), n);
    CAPTURE(n);
    CHECK(target.substr(0, n) == source);
    CHECK(target.substr(n) == std::string(16, '*'));
  }
}

}  // namespace
}  // namespace auditrelay::normalize
