// The bytes of one frame on disk: a fixed little-endian header with its own check, then a zstd
// payload holding the records (id, index, JSON). Pure functions plus a codec that keeps its
// zstd contexts, so every byte layout is tested without touching a file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/core/document.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace auditrelay::buffer {

// Header, all little-endian:
//   0  magic "ARQ1"       4  header_len      8  payload_len (compressed)   12 raw_len
//   16 record_count       20 first_seq (u64)  28 append_time_ms (u64)      36 payload_xxh64 (u64)
//   header_len - 4: header_check = XXH32 of every header byte before it.
// header_len lets a later version add fields before the check without breaking old readers.
inline constexpr std::string_view kFrameMagic{"ARQ1", 4};
inline constexpr uint32_t kFrameHeaderBytes = 48;       // what this version writes
inline constexpr uint32_t kMaxFrameHeaderBytes = 4096;  // sanity bound when reading
// A batch whose records take more than this (uncompressed) is split into several frames, so
// a reader never has to hold a huge frame in memory.
inline constexpr size_t kMaxFrameRawBytes = 4u << 20;
// Sanity bound for raw_len when reading (a single record may exceed kMaxFrameRawBytes).
inline constexpr uint32_t kMaxRawLen = 1u << 30;
// Per record in the raw payload: u32 id_len, u32 index_len, u32 json_len, then the bytes. It is
// DocumentBatch's own layout: a batch's documents are compressed as they lie in it.
inline constexpr size_t kRecordPrefixBytes = kDocumentPrefixBytes;

struct FrameHeader {
  uint32_t header_len = kFrameHeaderBytes;
  uint32_t payload_len = 0;
  uint32_t raw_len = 0;
  uint32_t record_count = 0;
  uint64_t first_seq = 0;
  uint64_t append_time_ms = 0;
  uint64_t payload_xxh64 = 0;

  uint64_t frame_bytes() const { return uint64_t{header_len} + payload_len; }
  uint64_t end_seq() const { return first_seq + record_count; }
};

enum class HeaderParse {
  kOk,
  kIncomplete,  // fewer bytes than a header, and they are the start of one (a torn write)
  kBad,         // not a header: wrong magic, failed check or impossible lengths
};

// Writes a kFrameHeaderBytes header (header_len is forced to it) at `out` + `at`; `out` must
// already hold the room.
void write_frame_header(const FrameHeader& header, std::string& out, size_t at);
// Parses the header at the start of `bytes` (which may run on past it).
HeaderParse parse_frame_header(std::string_view bytes, FrameHeader& out);
uint64_t payload_checksum(std::string_view payload);

// Raw (uncompressed) record layout.
size_t raw_record_bytes(const DocumentView& doc);
// Appends the records of `raw` (exactly `count` of them) to `out`, leaving out the first `skip`.
// False (and `out` unchanged) when the bytes do not hold exactly `count` records.
bool parse_raw_records(std::string_view raw, uint32_t count, uint64_t skip, DocumentBatch& out);
// The same into an empty `out`, which takes `raw` as its memory instead of copying from it.
bool adopt_raw_records(std::string raw, uint32_t count, DocumentBatch& out);

// Splits [0, batch.size()) into consecutive ranges of at most `max_raw` raw bytes each (a
// single larger record gets a range of its own).
std::vector<std::pair<size_t, size_t>> split_batch(const DocumentBatch& batch,
                                                   size_t max_raw = kMaxFrameRawBytes);

// Compresses and decompresses frames, reusing its zstd contexts (allocating them per frame
// costs more than compressing a small frame). Not thread-safe: one per user.
class FrameCodec {
 public:
  explicit FrameCodec(int level);
  ~FrameCodec();
  FrameCodec(const FrameCodec&) = delete;
  FrameCodec& operator=(const FrameCodec&) = delete;

  // Appends one whole frame (header and payload) of records [begin, end) to `out`; returns
  // its header. Throws std::runtime_error only if zstd fails (out of memory).
  FrameHeader encode(const DocumentBatch& batch, size_t begin, size_t end, uint64_t first_seq,
                     uint64_t append_time_ms, std::string& out);
  // Verifies the payload against `header` and appends its records, leaving out the first
  // `skip`, to `out`. Returns "" or why the frame is unusable (`out` then unchanged). A whole
  // frame into an empty `out` is decoded into `storage` (see DiskQueue::read).
  std::string decode(const FrameHeader& header, std::string_view payload, uint64_t skip,
                     DocumentBatch& out, std::string storage = {});

 private:
  ZSTD_CCtx_s* cctx_;
  ZSTD_DCtx_s* dctx_;
  std::string raw_;                     // reused scratch for a payload decoded in part
  std::unique_ptr<char[]> compressed_;  // reused scratch for the compressed payload
  size_t compressed_capacity_ = 0;
};

}  // namespace auditrelay::buffer
