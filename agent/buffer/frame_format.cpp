#include "agent/buffer/frame_format.h"

#include <xxhash.h>
#include <zstd.h>

#include <cstring>
#include <stdexcept>

#include "agent/core/little_endian.h"

namespace auditrelay::buffer {
namespace {

uint32_t header_check(const char* header, size_t len_before_check) {
  return XXH32(header, len_before_check, 0);
}

}  // namespace

void write_frame_header(const FrameHeader& header, std::string& out, size_t at) {
  char* p = out.data() + at;
  std::memcpy(p, kFrameMagic.data(), 4);
  put_u32(p + 4, kFrameHeaderBytes);
  put_u32(p + 8, header.payload_len);
  put_u32(p + 12, header.raw_len);
  put_u32(p + 16, header.record_count);
  put_u64(p + 20, header.first_seq);
  put_u64(p + 28, header.append_time_ms);
  put_u64(p + 36, header.payload_xxh64);
  put_u32(p + 44, header_check(p, 44));
}

HeaderParse parse_frame_header(std::string_view bytes, FrameHeader& out) {
  size_t n = bytes.size();
  if (n < 4) {
    return kFrameMagic.substr(0, n) == bytes ? HeaderParse::kIncomplete : HeaderParse::kBad;
  }
  if (bytes.substr(0, 4) != kFrameMagic) return HeaderParse::kBad;
  if (n < 8) return HeaderParse::kIncomplete;
  const char* p = bytes.data();
  uint32_t header_len = get_u32(p + 4);
  if (header_len < kFrameHeaderBytes || header_len > kMaxFrameHeaderBytes) {
    return HeaderParse::kBad;
  }
  if (n < header_len) return HeaderParse::kIncomplete;
  if (get_u32(p + header_len - 4) != header_check(p, header_len - 4)) return HeaderParse::kBad;
  FrameHeader h;
  h.header_len = header_len;
  h.payload_len = get_u32(p + 8);
  h.raw_len = get_u32(p + 12);
  h.record_count = get_u32(p + 16);
  h.first_seq = get_u64(p + 20);
  h.append_time_ms = get_u64(p + 28);
  h.payload_xxh64 = get_u64(p + 36);
  // A header that passed its check can still be nonsense if a bug wrote it; refuse anything
  // a reader could not safely allocate or decode.
  if (h.record_count == 0 || h.raw_len > kMaxRawLen ||
      uint64_t{h.record_count} * kRecordPrefixBytes > h.raw_len || h.payload_len == 0 ||
      h.payload_len > ZSTD_compressBound(h.raw_len) || h.first_seq + h.record_count < h.first_seq) {
    return HeaderParse::kBad;
  }
  out = h;
  return HeaderParse::kOk;
}

uint64_t payload_checksum(std::string_view payload) {
  return XXH64(payload.data(), payload.size(), 0);
}

size_t raw_record_bytes(const DocumentView& doc) {
  return kRecordPrefixBytes + doc.id.size() + doc.index.size() + doc.json.size();
}

namespace {

// Checks that `count` records exactly fill `raw`, so a bad frame adds nothing to a batch.
bool raw_records_fit(std::string_view raw, uint32_t count) {
  size_t pos = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (raw.size() - pos < kRecordPrefixBytes) return false;
    uint64_t len = uint64_t{get_u32(raw.data() + pos)} + get_u32(raw.data() + pos + 4) +
                   get_u32(raw.data() + pos + 8);
    pos += kRecordPrefixBytes;
    if (raw.size() - pos < len) return false;
    pos += len;
  }
  return pos == raw.size();
}

}  // namespace

bool parse_raw_records(std::string_view raw, uint32_t count, uint64_t skip, DocumentBatch& out) {
  if (!raw_records_fit(raw, count)) return false;
  out.reserve(raw.size() - size_t{count} * kRecordPrefixBytes, count);
  size_t pos = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const char* p = raw.data() + pos;
    size_t id_len = get_u32(p), index_len = get_u32(p + 4), json_len = get_u32(p + 8);
    p += kRecordPrefixBytes;
    if (i >= skip) {
      out.add({p, id_len}, {p + id_len, index_len}, {p + id_len + index_len, json_len});
    }
    pos += kRecordPrefixBytes + id_len + index_len + json_len;
  }
  return true;
}

bool adopt_raw_records(std::string raw, uint32_t count, DocumentBatch& out) {
  // Each record is its prefix then id, index and json back to back: the batch's own layout.
  // The records are checked as they are added, in one pass; if they do not fill the bytes
  // exactly, `out` is emptied again.
  out.adopt(std::move(raw), count);
  const std::string_view bytes = out.bytes_view();
  size_t pos = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (bytes.size() - pos < kRecordPrefixBytes) break;
    const char* p = bytes.data() + pos;
    const uint32_t id_len = get_u32(p), index_len = get_u32(p + 4), json_len = get_u32(p + 8);
    const uint64_t len = uint64_t{id_len} + index_len + json_len;
    pos += kRecordPrefixBytes;
    if (bytes.size() - pos < len) break;
    out.add_in_place(pos, id_len, index_len, json_len);
    pos += len;
  }
  if (out.size() == count && pos == bytes.size()) return true;
  out.clear();
  return false;
}

std::vector<std::pair<size_t, size_t>> split_batch(const DocumentBatch& batch, size_t max_raw) {
  std::vector<std::pair<size_t, size_t>> ranges;
  size_t begin = 0, raw = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    size_t bytes = raw_record_bytes(batch[i]);
    if (i > begin && raw + bytes > max_raw) {
      ranges.emplace_back(begin, i);
      begin = i;
      raw = 0;
    }
    raw += bytes;
  }
  if (begin < batch.size()) ranges.emplace_back(begin, batch.size());
  return ranges;
}

FrameCodec::FrameCodec(int level) : cctx_(ZSTD_createCCtx()), dctx_(ZSTD_createDCtx()) {
  if (cctx_ == nullptr || dctx_ == nullptr) {
    ZSTD_freeCCtx(cctx_);
    ZSTD_freeDCtx(dctx_);
    throw std::runtime_error("zstd: cannot allocate a context");
  }
  // Clamped by zstd to its range; the frame has its own checksum, so zstd's is left off.
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 0);
}

FrameCodec::~FrameCodec() {
  ZSTD_freeCCtx(cctx_);
  ZSTD_freeDCtx(dctx_);
}

FrameHeader FrameCodec::encode(const DocumentBatch& batch, size_t begin, size_t end,
                               uint64_t first_seq, uint64_t append_time_ms, std::string& out) {
  const std::string_view raw = batch.records(begin, end);
  if (raw.size() > kMaxRawLen) throw std::runtime_error("buffer: a record is too large");
  // Compressed into a scratch buffer of the worst-case size, then appended: the payload is
  // about a tenth of that bound, which `out` would otherwise zero-fill for nothing.
  const size_t bound = ZSTD_compressBound(raw.size());
  if (compressed_capacity_ < bound) {
    compressed_ = std::make_unique_for_overwrite<char[]>(bound);
    compressed_capacity_ = bound;
  }
  size_t n = ZSTD_compress2(cctx_, compressed_.get(), bound, raw.data(), raw.size());
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  const size_t at = out.size();
  out.append(kFrameHeaderBytes, '\0');
  out.append(compressed_.get(), n);
  FrameHeader h;
  h.payload_len = static_cast<uint32_t>(n);
  h.raw_len = static_cast<uint32_t>(raw.size());
  h.record_count = static_cast<uint32_t>(end - begin);
  h.first_seq = first_seq;
  h.append_time_ms = append_time_ms;
  h.payload_xxh64 = payload_checksum({out.data() + at + kFrameHeaderBytes, n});
  write_frame_header(h, out, at);
  return h;
}

std::string FrameCodec::decode(const FrameHeader& header, std::string_view payload, uint64_t skip,
                               DocumentBatch& out, std::string storage) {
  if (payload.size() != header.payload_len) return "payload length differs from the header";
  if (payload_checksum(payload) != header.payload_xxh64) return "payload checksum mismatch";
  // A whole frame into an empty batch (the usual read) becomes the batch's memory as it is;
  // otherwise the records wanted are copied out of a reused scratch buffer.
  const bool adopt = out.empty() && skip == 0;
  std::string fresh = std::move(storage);
  if (adopt && fresh.capacity() < header.raw_len) {
    // Growing would copy the old bytes first. New memory gets room for a somewhat larger
    // frame, so that as storage it usually fits the next one.
    fresh = std::string();
    fresh.reserve(header.raw_len + header.raw_len / 8);
  }
  std::string& raw = adopt ? fresh : raw_;
  raw.resize(header.raw_len);  // zero-fills only what `storage` did not already hold
  size_t n = ZSTD_decompressDCtx(dctx_, raw.data(), raw.size(), payload.data(), payload.size());
  if (ZSTD_isError(n)) return std::string("zstd: ") + ZSTD_getErrorName(n);
  if (n != header.raw_len) return "decompressed length differs from the header";
  bool fit = adopt ? adopt_raw_records(std::move(fresh), header.record_count, out)
                   : parse_raw_records(raw, header.record_count, skip, out);
  if (!fit) return "records do not fit the payload";
  return {};
}

}  // namespace auditrelay::buffer
