// The DiskQueue implementation: segments indexed in memory, one open segment for appends,
// cursors in memory and on disk. Split over segmented_queue.cpp (open, append, read),
// retention.cpp (commit, segment deletion, full buffer) and queue_stats.cpp.
#pragma once

#include <condition_variable>
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
  using DiskQueue::read;
  std::optional<ReadFrame> read(uint64_t from_seq, std::string storage) override;
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
  // A frame of frame_: where it starts and its header, whose first_seq and append time are
  // only known under mu_.
  struct EncodedFrame {
    size_t at;
    FrameHeader header;
  };
  // Compresses `documents` into frame_ and encoded_, under encode_mu_ only.
  void encode_frames(const DocumentBatch& documents);
  // Everything *_locked runs with mu_ held.
  AppendResult append_locked(uint64_t* first_seq);
  bool make_room_locked();
  void open_segment_locked(uint64_t first_seq);
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
  // A frame that fails its checks at read time (`bytes`): copied to corrupt/ and left out of
  // the index.
  void set_aside_locked(size_t segment, size_t frame, const std::string& reason,
                        std::string_view bytes);
  // The same for the frame `ref` was read from, if it is still indexed: read() decodes
  // without mu_, and the index may have changed meanwhile.
  void set_aside_if_indexed_locked(const FrameRef& ref, const std::string& reason,
                                   std::string_view bytes);

  const QueueOptions options_;
  const Logger log_{"buffer"};

  // Compression happens before mu_ is taken, decompression after it is released, and fsyncs
  // without it, so that appends, reads and fsyncs only wait for each other's index updates
  // and writes. One read decodes at a time, as before: outputs decoding in parallel held
  // more decoded frames at once (the fan-out's peak RSS rose by 7 MiB) for no throughput on
  // two cores. Lock order: encode_mu_ or decode_mu_, then mu_, then commit_mu_.
  std::mutex encode_mu_;  // one batch compressed at a time, into encoder_'s buffers
  FrameCodec encoder_;
  std::string frame_;                  // the frames of one append
  std::vector<EncodedFrame> encoded_;  // and where each starts
  std::mutex decode_mu_;               // one frame read and decompressed at a time, with decoder_
  FrameCodec decoder_;
  std::string read_buf_;  // the frame's bytes as read

  std::mutex mu_;
  SegmentList segments_;
  UniqueFd append_fd_;  // segments_.back() when it takes appends
  // Group commit: appends written so far, how many of them are known durable, and whether an
  // fdatasync (done without mu_) is running; sync() calls wait on sync_done_ for a running one.
  uint64_t appends_ = 0;
  uint64_t synced_appends_ = 0;
  bool sync_running_ = false;
  std::condition_variable sync_done_;
  bool unsynced_dir_ = false;  // a segment created since the last sync
  uint64_t next_seq_;
  uint64_t bytes_on_disk_ = 0;
  uint64_t corrupt_files_;
  uint64_t dropped_records_ = 0;
  std::map<std::string, uint64_t> cursors_;
  // Segments removed from the index under mu_, their files deleted outside it: closing the last
  // descriptor of a deleted 64 MiB file frees its blocks, which took ~30 ms here, and appends
  // and fsyncs waited that long for the lock (a step in the HTTP input's latency).
  std::vector<Removed> removed_;

  // Cursor files are written (fsync, rename, fsync) outside mu_ so that appends do not wait
  // on them; commit_mu_ orders those writes. Lock order: mu_, then commit_mu_.
  std::mutex commit_mu_;
  std::map<std::string, uint64_t> durable_cursors_;  // under commit_mu_
};

}  // namespace auditrelay::buffer
