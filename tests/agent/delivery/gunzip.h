// Test helper: inflates a gzip body, to check what gzip_compress() or the HTTP client sent.
#pragma once

#include <doctest/doctest.h>
#include <zlib.h>

#include <stdexcept>
#include <string>

namespace auditrelay::test {

// zlib's inflate, told to expect a gzip header (windowBits 15 + 16); throws if it is not
// exactly one valid gzip member.
inline std::string gunzip(const std::string& data) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out;
  char buffer[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  if (!whole) throw std::runtime_error("not a single valid gzip member");
  return out;
}

}  // namespace auditrelay::test
