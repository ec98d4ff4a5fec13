// The file side of the tail input: finds the files its globs match, follows each by identity
// through renames, truncations and deletions, and reads new complete lines into a batch.
// It runs on a worker thread, one cycle at a time; the loop side (in_tail.cpp) owns the
// committed offsets and hands a snapshot of them to each cycle.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/line_reader.h"
#include "agent/core/record.h"
#include "plugins/in_tail/offset_store.h"

namespace auditrelay {

struct TailOptions {
  std::vector<std::string> patterns;  // absolute glob patterns
  std::vector<std::string> excludes;  // absolute glob patterns (fnmatch) of paths to skip
  size_t max_record_bytes = 1 << 20;
  size_t cycle_budget_bytes = 512 << 10;  // bytes read per cycle, all files together
  int64_t rotate_wait_ms = 5000;          // how long a renamed or deleted file is still read
};

// A committed position: everything before `offset` in this generation of the file is durable.
// A file's generation grows when it is truncated (copytruncate) and read again from 0.
struct CommittedOffset {
  StoredOffset stored;
  uint32_t generation = 0;
};

// How far one batch got in one file, to commit on acknowledgement.
struct FileProgress {
  FileIdentity identity;
  uint32_t generation = 0;
  uint64_t emitted_until = 0;
};

struct TailEvent {
  enum class Kind { kOpened, kRotated, kDeleted, kTruncated, kReleased, kError };
  Kind kind;
  std::string path;
  uint64_t offset = 0;
  std::string detail;
};

// A followed file as the tailer last saw it, for the status page.
struct FollowedFile {
  FileIdentity identity;
  uint32_t generation = 0;
  std::string path;
  uint64_t size = 0;  // at the cycle's fstat
  bool gone = false;  // renamed away or deleted: read to its end, then released
};

struct TailCycle {
  RawBatch batch;
  std::vector<FileProgress> progress;
  std::vector<TailEvent> events;
  // Every file still followed after this cycle, with the offset it starts from when it is new
  // (or was truncated): the loop side rebuilds its committed offsets from this.
  std::vector<CommittedOffset> files;
  std::vector<FollowedFile> followed;  // the same files, as seen in this cycle
  bool more = false;  // a file has more to read right now (the cycle budget ran out)
};

class FileTailer {
 public:
  explicit FileTailer(TailOptions options) : options_(std::move(options)) {}
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // One cycle: rescan the globs, then read. Files found that `committed` does not know start
  // at their end when `start_at_end` is set (first start without read_from_head), else at 0.
  TailCycle run_cycle(const std::vector<CommittedOffset>& committed, bool start_at_end,
                      int64_t now_ms);

  size_t file_count() const { return files_.size(); }

 private:
  // One followed file; its fd stays open until it is released.
  struct File {
    FileIdentity identity;
    int fd = -1;
    std::string path;
    uint32_t generation = 0;
    std::optional<Fingerprint> fingerprint;
    std::string id_key;  // RecordSource::id_key: inode and fingerprint
    LineCursor cursor;
    uint64_t start_offset = 0;  // where reading of this generation began
    uint64_t size = 0;          // at the last fstat
    bool gone = false;          // no glob match points to it any more (renamed or deleted)
    int64_t gone_since_ms = 0;
    bool released = false;
  };

  void rescan(const std::vector<CommittedOffset>& committed, bool start_at_end, int64_t now_ms,
              TailCycle& cycle);
  void open_new(const std::string& path, const FileIdentity& identity,
                const std::vector<CommittedOffset>& committed, bool start_at_end, TailCycle& cycle);
  void read_file(File& file, const std::vector<CommittedOffset>& committed, int64_t now_ms,
                 size_t& budget, TailCycle& cycle);
  bool check_truncation(File& file, uint64_t size, TailCycle& cycle);
  bool excluded(const std::string& path) const;
  void remember_released(const File& file);

  // Released files are remembered for a while: one that matches again (moved back, a glob
  // that failed for a moment) resumes where it was instead of being read again.
  static constexpr size_t kRememberedReleases = 256;

  TailOptions options_;
  std::vector<File> files_;
  std::vector<CommittedOffset> released_;
  size_t first_file_ = 0;
};

}  // namespace auditrelay
