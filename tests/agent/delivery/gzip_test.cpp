#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "agent/delivery/http_client.h"
#include "tests/agent/delivery/gunzip.h"

using auditrelay::delivery::gzip_compress;
using auditrelay::test::gunzip;

namespace {

// Bytes that compress somewhat, all 256 values included.
std::string sample(size_t size) {
  std::string s(size, '\0');
  uint32_t x = 12345;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245 + 12345;
    s[i] = static_cast<char>((i % 7 == 0) ? (x >> 16) : "audit-record "[i % 13]);
  }
  return s;
}

}  // namespace

TEST_CASE("gzip_compress: a gzip member that inflates back to the input") {
  for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{3'000'000}}) {
    CAPTURE(size);
    std::string input = sample(size);
    std::string packed = gzip_compress(input);
    REQUIRE(packed.size() >= 18);  // 10-byte header, 8-byte trailer (RFC 1952)
    CHECK(static_cast<unsigned char>(packed[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(packed[1]) == 0x8b);
    CHECK(packed[2] == 8);  // deflate
    CHECK(gunzip(packed) == input);
  }
}

TEST_CASE("gzip_compress: every level round-trips; higher levels are not larger here") {
  std::string input = sample(200'000);
  std::string fastest = gzip_compress(input, 1);
  std::string smallest = gzip_compress(input, 9);
  CHECK(gunzip(fastest) == input);
  CHECK(gunzip(smallest) == input);
  CHECK(smallest.size() <= fastest.size());
  CHECK(fastest.size() < input.size());
}

TEST_CASE("gzip_compress: an invalid level is an error, not a corrupt body") {
  CHECK_THROWS_AS(gzip_compress("x", 42), std::invalid_argument);
}
