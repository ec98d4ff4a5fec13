// The writer of the files the agent tails: appends generated records at a set pace to three
// JSON-lines files and, when asked, rotates two of them every `rotate_every`:
//   plain.jsonl      never rotated;
//   renamed.jsonl    renamed to renamed.jsonl.<N> (a name the glob still matches, so a
//                    restarted agent finds it again), one late record written to the old file
//                    as a writer that has not reopened yet would, then a new file created;
//                    rotated files are deleted once the agent has committed them to the end;
//   truncated.jsonl  copied to copies/ (outside the glob), then truncated to 0. The writer holds
//                    back its records for this file until the agent has committed it to the end,
//                    because lines truncated away before the agent read them are lost by the
//                    design of copytruncate itself; the runner being the writer, nothing is
//                    written between the copy and the truncation.
// "Committed" is what the agent's status page (GET /api/v1/status) says: durable in the buffer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/chaos/agent_runner.h"
#include "tests/chaos/records.h"

namespace auditrelay::chaos {

struct TailWriterOptions {
  double records_per_second = 1000;
  std::chrono::milliseconds rotate_every{0};  // 0: no rotation
};

struct TailWriterStats {
  uint64_t records = 0;
  uint64_t renames = 0;
  uint64_t copytruncates = 0;
  uint64_t rotated_deleted = 0;
  std::string error;  // why the writer stopped early, if it did
};

class TailWriter {
 public:
  // Files go to `in_dir` (the agent's glob is in_dir/*.jsonl*), copies to `copies_dir`.
  TailWriter(std::filesystem::path in_dir, std::filesystem::path copies_dir, AgentRunner& agent,
             Ledger& ledger, uint32_t seed, TailWriterOptions options);
  ~TailWriter();

  void start();
  void finish();  // stops writing; every record written so far is in the ledger
  TailWriterStats stats() const;

 private:
  enum class Rotation { kNone, kRename, kCopyTruncate };
  struct Stream {
    std::string name;
    Rotation rotation;
    std::filesystem::path live;
    uint64_t size = 0;
    int generation = 0;
    bool truncate_due = false;
    // The size at the last truncation: the status page cannot tell generations apart, so the
    // next truncation waits until the file's size differs from it.
    std::optional<uint64_t> last_truncated_size;
  };
  struct RotatedFile {
    std::filesystem::path path;
    uint64_t size;
  };
  using CommittedOffsets = std::map<std::string, uint64_t>;  // path → committed offset

  void run();
  void write_loop();
  void write_due(size_t count);
  void append(Stream& stream, size_t count);
  void rotate(Stream& stream);
  void try_truncations();
  void prune_rotated();
  std::optional<CommittedOffsets> committed_offsets();
  bool writable(const Stream& stream) const;

  std::filesystem::path in_dir_;
  std::filesystem::path copies_dir_;
  AgentRunner& agent_;
  Ledger& ledger_;
  RecordFactory factory_;
  TailWriterOptions options_;
  std::vector<Stream> streams_;
  std::vector<RotatedFile> rotated_;
  size_t next_stream_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  TailWriterStats stats_;
};

}  // namespace auditrelay::chaos
