// stats() and inspect(): the same numbers, from the live index or from a read-only scan.
#include <algorithm>
#include <chrono>
#include <system_error>

#include "agent/buffer/cursor_store.h"
#include "agent/buffer/recovery.h"
#include "agent/buffer/segmented_queue.h"

namespace auditrelay::buffer {

QueueStats summarize(const SegmentList& segments, const std::map<std::string, uint64_t>& cursors,
                     uint64_t next_seq) {
  QueueStats stats;
  stats.next_seq = next_seq;
  stats.first_seq = next_seq;
  bool have_first = false;
  for (const Segment& s : segments) {
    ++stats.segments;
    stats.bytes_on_disk += s.bytes;
    if (!have_first && !s.frames.empty()) {
      stats.first_seq = s.first_seq();
      have_first = true;
    }
  }
  for (const auto& [output, cursor] : cursors) {
    OutputBacklog b;
    b.output = output;
    b.cursor = cursor;
    for (const Segment& s : segments) {
      if (s.end_seq() <= cursor) continue;
      for (const FrameRef& f : s.frames) {
        if (f.end_seq() <= cursor) continue;
        uint64_t n = f.end_seq() - std::max(f.first_seq, cursor);
        b.records += n;
        b.bytes += f.length * n / f.records;  // a partly delivered frame counts pro rata
        if (!b.oldest) {
          b.oldest = std::chrono::system_clock::time_point(
              std::chrono::milliseconds(static_cast<int64_t>(f.append_time_ms)));
        }
      }
    }
    stats.outputs.push_back(std::move(b));
  }
  return stats;
}

QueueStats SegmentedQueue::stats() {
  std::lock_guard lock(mu_);
  QueueStats s = summarize(segments_, cursors_, next_seq_);
  s.corrupt_frames_set_aside = corrupt_files_;
  s.dropped_records = dropped_records_;
  return s;
}

uint64_t SegmentedQueue::dropped_records() {
  std::lock_guard lock(mu_);
  return dropped_records_;
}

QueueStats DiskQueue::inspect(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(segments_dir(dir), ec)) {
    QueueStats empty;
    empty.corrupt_frames_set_aside = count_corrupt_files(dir);
    return empty;
  }
  RecoveryReport report;
  RecoveredSegments recovered = recover_segments(dir, /*repair=*/false, report);
  std::map<std::string, std::optional<uint64_t>> files = read_all_cursors(dir);
  uint64_t next_seq = recovered.next_seq_floor;
  for (const auto& [output, value] : files) {
    if (value) next_seq = std::max(next_seq, *value);
  }
  uint64_t oldest = recovered.segments.empty() ? next_seq : recovered.segments.front().first_seq();
  // As open() would see them: an unreadable cursor, or one below the oldest record, starts
  // at the oldest record.
  std::map<std::string, uint64_t> cursors;
  for (const auto& [output, value] : files)
    cursors[output] = std::max(value.value_or(0), oldest);
  QueueStats stats = summarize(recovered.segments, cursors, next_seq);
  stats.corrupt_frames_set_aside = count_corrupt_files(dir);
  return stats;
}

}  // namespace auditrelay::buffer
