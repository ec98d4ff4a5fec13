// The on-disk queue between the normalizer and the outputs (ARCHITECTURE.md, "Delivery
// guarantees"): append-only segment files of zstd-compressed, checksummed frames; one durable
// cursor per output; recovery from torn and corrupt data at open. Usable on its own.
//
// Thread-safety: every method may be called from any thread; an internal mutex serializes
// them. Compression happens in append() and decompression in read(), so callers keep them off
// the libuv loop thread (the pipeline and outputs call them from libuv's thread pool).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/document.h"

namespace auditrelay::buffer {

enum class SyncMode {
  kAlways,  // append() fsyncs before it returns
  kBatch,   // the caller calls sync() once per batch window (group commit)
  kNone,    // never fsync (the OS writes back; a power cut can lose recent records)
};
enum class WhenFull {
  kBlock,       // append() refuses with AppendResult::kFull; the caller pauses its inputs
  kDropOldest,  // the oldest segment is dropped for every output (counted) to make room
};

struct QueueOptions {
  std::filesystem::path dir;             // the queue's own directory (created)
  uint64_t segment_bytes = 64ull << 20;  // a new segment starts past this size
  uint64_t max_bytes = 2ull << 30;       // total size of the segments on disk
  int compression_level = -3;            // zstd level (negative: its "fast" levels)
  SyncMode sync = SyncMode::kBatch;
  WhenFull when_full = WhenFull::kBlock;
};

// What open() found on disk and did about it; also logged by the caller.
struct RecoveryReport {
  uint64_t segments = 0;
  uint64_t frames = 0;
  uint64_t records = 0;
  uint64_t torn_bytes_cut = 0;  // an unfinished last frame, cut off
  uint64_t corrupt_frames = 0;  // moved to <dir>/corrupt/
  uint64_t corrupt_bytes = 0;
  std::vector<std::string> notes;  // one human-readable line per problem found
};

// A frame as read back: consecutive records starting at first_seq. Records lost to a corrupt
// frame leave a gap in sequence numbers; readers simply continue after it.
struct ReadFrame {
  uint64_t first_seq = 0;
  uint64_t next_seq = 0;  // first_seq + documents.size()
  DocumentBatch documents;
};

struct OutputBacklog {
  std::string output;
  uint64_t cursor = 0;   // every record before this sequence number is delivered
  uint64_t records = 0;  // retained records at or after the cursor
  uint64_t bytes = 0;    // their share of segment bytes on disk (compressed)
  std::optional<std::chrono::system_clock::time_point> oldest;  // append time of the oldest
};

struct QueueStats {
  uint64_t segments = 0;
  uint64_t bytes_on_disk = 0;
  uint64_t first_seq = 0;                 // oldest retained record
  uint64_t next_seq = 0;                  // the sequence number the next record gets
  uint64_t corrupt_frames_set_aside = 0;  // files in <dir>/corrupt/
  uint64_t dropped_records = 0;           // by drop_oldest since open
  std::vector<OutputBacklog> outputs;
};

enum class AppendResult { kAppended, kFull };

class DiskQueue {
 public:
  // Opens (or creates) the queue, scanning and repairing what is on disk: never fails because
  // of the contents (torn frames are cut, corrupt ones set aside, bad cursor files reset to the
  // oldest record). `outputs` are the current output names: a name without a cursor starts at
  // the oldest retained record; cursors of names not listed are deleted (they stop pinning
  // segments). Throws std::runtime_error only when the directory itself is unusable.
  static std::unique_ptr<DiskQueue> open(QueueOptions options,
                                         const std::vector<std::string>& outputs,
                                         RecoveryReport* report = nullptr);
  // Reads the state without repairing or changing anything (`auditrelay buffer status`).
  static QueueStats inspect(const std::filesystem::path& dir);

  virtual ~DiskQueue() = default;

  // Appends `documents` as one frame (or several, if very large) and gives them consecutive
  // sequence numbers, the first returned in `first_seq`. With kBlock and no room: kFull,
  // nothing written. Errors of the disk throw std::runtime_error (nothing half-written stays).
  virtual AppendResult append(const DocumentBatch& documents, uint64_t* first_seq = nullptr) = 0;
  // Makes every append so far durable (fdatasync of the segment written to, and of the
  // directory when a segment was created). Returns "" or the error.
  virtual std::string sync() = 0;

  // The first frame holding records at or after `from_seq`, or nullopt when none is appended
  // yet. Records before `from_seq` in that frame are left out. `storage` is memory to decode
  // the frame into, such as a used-up frame's (DocumentBatch::release()), so that reading
  // neither allocates nor zero-fills megabytes.
  virtual std::optional<ReadFrame> read(uint64_t from_seq, std::string storage) = 0;
  std::optional<ReadFrame> read(uint64_t from_seq) { return read(from_seq, {}); }

  // The output's cursor: every record before it is delivered or dead-lettered.
  virtual uint64_t cursor(const std::string& output) = 0;
  // Moves the output's cursor forward to `next_seq` (never back), durably (atomic replace),
  // then deletes segments every output's cursor has passed. Returns "" or the error.
  virtual std::string commit(const std::string& output, uint64_t next_seq) = 0;

  virtual QueueStats stats() = 0;
  // Records dropped by drop_oldest since open (cheap, unlike stats()).
  virtual uint64_t dropped_records() = 0;
};

}  // namespace auditrelay::buffer
