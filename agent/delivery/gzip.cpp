#define ZLIB_CONST  // next_in points to const bytes
#include <zlib.h>

#include <algorithm>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

#include "agent/delivery/http_client.h"

namespace auditrelay::delivery {
namespace {

// Owns a deflate stream.
class Deflater {
 public:
  explicit Deflater(int level) {
    // windowBits 15 + 16: the largest window, with a gzip header and trailer instead of
    // zlib's (https://www.zlib.net/manual.html#Advanced).
    int rc = deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc != Z_OK) throw std::invalid_argument("gzip: invalid compression level");
  }
  ~Deflater() { deflateEnd(&stream_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  z_stream* get() { return &stream_; }

 private:
  z_stream stream_{};
};

}  // namespace

std::string gzip_compress(std::string_view data, int level) {
  Deflater deflater(level);
  z_stream* z = deflater.get();
  // deflateBound() is enough output for the whole input in one deflate(Z_FINISH) call. Only
  // an input beyond zlib's 32-bit counts (4 GiB) takes several calls, which the loop allows.
  std::string out(deflateBound(z, data.size()), '\0');
  constexpr size_t kMaxChunk = std::numeric_limits<uInt>::max();
  size_t in_used = 0;
  size_t out_used = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (out_used == out.size()) out.resize(out.size() * 2);
    size_t in_left = data.size() - in_used;
    z->next_in = reinterpret_cast<const Bytef*>(data.data()) + in_used;
    z->avail_in = static_cast<uInt>(std::min(in_left, kMaxChunk));
    z->next_out = reinterpret_cast<Bytef*>(out.data()) + out_used;
    z->avail_out = static_cast<uInt>(std::min(out.size() - out_used, kMaxChunk));
    const uInt in_given = z->avail_in;
    const uInt out_given = z->avail_out;
    rc = deflate(z, in_left <= kMaxChunk ? Z_FINISH : Z_NO_FLUSH);
    in_used += in_given - z->avail_in;
    out_used += out_given - z->avail_out;
  }
  // Z_STREAM_ERROR or Z_BUF_ERROR: impossible with a valid stream and room to write.
  if (rc != Z_STREAM_END) throw std::logic_error("gzip: deflate failed");
  out.resize(out_used);
  return out;
}

}  // namespace auditrelay::delivery
