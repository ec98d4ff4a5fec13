// The DiskQueue implementation: segments indexed in memory, one open segment for appends,
// cursors in memory and on disk. Split over segmented_queue.cpp (open, append, read),
// retention.cpp (commit, segment deletion, full buffer) and queue_stats.cpp.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/buffer/disk_queue.h"
#include "agent/buffer/frame_format.h"
#include "agent/buffer/recovery.h"
#include "agent/buffer/segment.h"
#include "agent/core/log.h"

namespace auditrelay::buffer {

// Backlog and totals of an index; shared by stats() and inspect().
QueueStats summarize(const SegmentList& segments, const std::map<std::string, uint64_t>& cursors,
                     uint64_t next_seq);

class SegmentedQueue final : public DiskQueue {
 public:
  SegmentedQueue(QueueOptions options, RecoveredSegments recovered,
                 std::map<std::string, uint64_t> cursors, uint64_t next_seq,
                 uint64_t corrupt_files);
  ~SegmentedQueue() override;

  AppendResult append(const DocumentBatch& documents, uint64_t* first_seq) override;
  std::string sync() override;
  std::optional<ReadFrame> read(uint64_t from_seq) override;
  uint64_t cursor(const std::string& output) override;
  std::string commit(const std::string& output, uint64_t next_seq) override;
  QueueStats stats() override;
  uint64_t dropped_records() override;

 private:
  // A removed segment: its file is deleted and its descriptors closed once mu_ is released.
  struct Removed {
    std::filesystem::path path;
    UniqueFd read_fd;
    UniqueFd append_fd;
  };

  // Everything *_locked runs with mu_ held.
  AppendResult append_locked(const DocumentBatch& documents, uint64_t* first_seq);
  bool make_room_locked();
  void open_segment_locked(uint64_t first_seq);
  void write_frames_locked(const DocumentBatch& documents);
  std::string sync_locked();
  uint64_t oldest_locked() const;
  uint64_t min_cursor_locked() const;
  // Deletes leading segments every cursor has passed; the one open for appends only when
  // `including_open` (it is cheaper to keep appending to it than to make a new file).
  void delete_passed_locked(bool including_open);
  void drop_oldest_locked();
  void remove_front_locked();
  // Deletes the files of removed segments: called without mu_.
  void delete_removed(std::vector<Removed> removed);
  // A frame that fails its checks at read time: copied to corrupt/ and left out of the index.
  void set_aside_locked(size_t segment, size_t frame, const std::string& reason);

  const QueueOptions options_;
  const Logger log_{"buffer"};
  std::mutex mu_;
  FrameCodec codec_;
  SegmentList segments_;
  UniqueFd append_fd_;          // segments_.back() when it takes appends
  bool unsynced_data_ = false;  // appended since the last sync
  bool unsynced_dir_ = false;   // a segment created since the last sync
  uint64_t next_seq_;
  uint64_t bytes_on_disk_ = 0;
  uint64_t corrupt_files_;
  uint64_t dropped_records_ = 0;
  std::map<std::string, uint64_t> cursors_;
  // Segments removed from the index under mu_, their files deleted outside it: closing the last
  // descriptor of a deleted 64 MiB file frees its blocks, which took ~30 ms here, and appends
  // and fsyncs waited that long for the lock (a step in the HTTP input's latency).
  std::vector<Removed> removed_;
  std::string frame_;  // reused: the frames of one append
  std::string read_buf_;

  // Cursor files are written (fsync, rename, fsync) outside mu_ so that appends do not wait
  // on them; commit_mu_ orders those writes. Lock order: mu_, then commit_mu_.
  std::mutex commit_mu_;
  std::map<std::string, uint64_t> durable_cursors_;  // under commit_mu_
};

}  // namespace auditrelay::buffer
