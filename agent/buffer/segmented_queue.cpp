#include "agent/buffer/segmented_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "agent/buffer/cursor_store.h"
#include "agent/core/durable_io.h"

namespace auditrelay::buffer {
namespace {

namespace fs = std::filesystem;

uint64_t now_unix_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

void make_directory(const fs::path& path) {
  std::string error = create_private_directories(path);
  if (!error.empty()) throw std::runtime_error("buffer: cannot create directory: " + error);
}

// Cursors of the current outputs: from their files, or the oldest record when a file is
// missing, empty or garbage. Never fails: a lost cursor means records are delivered again,
// a refusal to start would mean none are.
std::map<std::string, uint64_t> load_cursors(const QueueOptions& options,
                                             const std::vector<std::string>& outputs,
                                             uint64_t oldest, bool have_records,
                                             RecoveryReport& report, const Logger& log) {
  std::map<std::string, uint64_t> cursors;
  for (const std::string& output : outputs) {
    uint64_t value = 0;
    CursorRead state = read_cursor(options.dir, output, value);
    if (state == CursorRead::kOk) {
      // Below the oldest record only if segments went away without the cursor file being
      // updated (a failed write after drop_oldest): there is nothing to read below it anyway.
      cursors[output] = std::max(value, oldest);
      continue;
    }
    cursors[output] = oldest;
    std::string start = "starts at the oldest record, " + std::to_string(oldest);
    if (state == CursorRead::kMissing) {
      if (have_records) report.notes.push_back("output " + output + " has no cursor yet: " + start);
    } else {
      std::string line = "cursor file of output " + output + " is " +
                         (state == CursorRead::kEmpty ? "empty" : "unreadable") + ": " + start +
                         " (records may be delivered again)";
      log.warn(line);
      report.notes.push_back(std::move(line));
    }
    if (std::string err = write_cursor(options.dir, output, oldest); !err.empty()) {
      report.notes.push_back("cannot write the cursor of " + output + ": " + err);
    }
  }
  for (const std::string& removed : remove_other_cursors(options.dir, outputs)) {
    report.notes.push_back("output " + removed + " is gone: its cursor was removed");
  }
  return cursors;
}

}  // namespace

std::unique_ptr<DiskQueue> DiskQueue::open(QueueOptions options,
                                           const std::vector<std::string>& outputs,
                                           RecoveryReport* report) {
  for (const fs::path& d : {options.dir, segments_dir(options.dir), cursors_dir(options.dir),
                            corrupt_dir(options.dir)}) {
    make_directory(d);
  }
  RecoveryReport local;
  RecoveryReport& rep = report != nullptr ? *report : local;
  rep = {};
  Logger log("buffer");
  RecoveredSegments recovered = recover_segments(options.dir, true, rep);
  // Sequence numbers never repeat: past every frame seen and every cursor, including those of
  // outputs about to be removed (they may have delivered records whose frames are now gone).
  uint64_t next_seq = recovered.next_seq_floor;
  for (const auto& [output, value] : read_all_cursors(options.dir)) {
    if (value) next_seq = std::max(next_seq, *value);
  }
  uint64_t oldest = recovered.segments.empty() ? next_seq : recovered.segments.front().first_seq();
  std::map<std::string, uint64_t> cursors =
      load_cursors(options, outputs, oldest, !recovered.segments.empty(), rep, log);
  uint64_t corrupt_files = count_corrupt_files(options.dir);
  log.info("buffer opened", {{"dir", options.dir.string()},
                             {"segments", rep.segments},
                             {"records", rep.records},
                             {"torn_bytes_cut", rep.torn_bytes_cut},
                             {"corrupt_frames", rep.corrupt_frames}});
  return std::make_unique<SegmentedQueue>(std::move(options), std::move(recovered),
                                          std::move(cursors), next_seq, corrupt_files);
}

SegmentedQueue::SegmentedQueue(QueueOptions options, RecoveredSegments recovered,
                               std::map<std::string, uint64_t> cursors, uint64_t next_seq,
                               uint64_t corrupt_files)
    : options_(std::move(options)),
      encoder_(options_.compression_level),
      decoder_(options_.compression_level),
      segments_(std::move(recovered.segments)),
      next_seq_(next_seq),
      corrupt_files_(corrupt_files),
      cursors_(cursors),
      durable_cursors_(std::move(cursors)) {
  for (const Segment& s : segments_)
    bytes_on_disk_ += s.bytes;
  if (segments_.empty()) return;
  // Keep appending to the newest segment, unless it is full or recovery could not make its
  // end the end of a good frame.
  const Segment& last = segments_.back();
  const FrameRef& f = last.frames.back();
  if (last.bytes == f.offset + f.length && last.bytes < options_.segment_bytes) {
    append_fd_.reset(::open(last.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  }
}

SegmentedQueue::~SegmentedQueue() {
  delete_removed(std::move(removed_));
}

AppendResult SegmentedQueue::append(const DocumentBatch& documents, uint64_t* first_seq) {
  std::unique_lock encode_lock(encode_mu_);
  encode_frames(documents);
  std::unique_lock lock(mu_);
  // Should it throw, what make_room_locked removed is deleted by the next call.
  AppendResult result = append_locked(first_seq);
  std::vector<Removed> removed = std::exchange(removed_, {});
  lock.unlock();
  encode_lock.unlock();
  delete_removed(std::move(removed));
  return result;
}

void SegmentedQueue::encode_frames(const DocumentBatch& documents) {
  frame_.clear();
  encoded_.clear();
  for (auto [begin, end] : split_batch(documents)) {
    const size_t at = frame_.size();
    // Sequence numbers and the time are given under mu_, where the header is written again.
    encoded_.push_back({at, encoder_.encode(documents, begin, end, 0, 0, frame_)});
  }
}

AppendResult SegmentedQueue::append_locked(uint64_t* first_seq) {
  if (encoded_.empty()) {
    if (first_seq != nullptr) *first_seq = next_seq_;
    return AppendResult::kAppended;
  }
  if (!make_room_locked()) return AppendResult::kFull;
  // All frames of the batch go out in one write, so that a failure takes all of them back.
  uint64_t time_ms = now_unix_ms();
  std::vector<FrameRef> refs;
  uint64_t seq = next_seq_;
  for (auto& [at, header] : encoded_) {
    header.first_seq = seq;
    header.append_time_ms = time_ms;
    write_frame_header(header, frame_, at);
    refs.push_back({seq, header.record_count, at, header.frame_bytes(), time_ms});
    seq = header.end_seq();
  }
  bool created = false;
  if (!append_fd_.valid() || segments_.back().bytes >= options_.segment_bytes) {
    open_segment_locked(next_seq_);
    created = true;
  }
  Segment& segment = segments_.back();
  if (std::string err = write_all(append_fd_.get(), frame_); !err.empty()) {
    std::string message = "buffer: write " + segment.path.string() + ": " + err;
    if (created) {
      append_fd_.reset();
      std::error_code ec;
      fs::remove(segment.path, ec);
      segments_.pop_back();
    } else if (::ftruncate(append_fd_.get(), static_cast<off_t>(segment.bytes)) != 0) {
      // The file's end is unknown now: the next append starts a new segment, and recovery
      // sets the partial frame aside at the next start.
      append_fd_.reset();
    }
    throw std::runtime_error(message);
  }
  for (FrameRef& ref : refs) {
    ref.offset += segment.bytes;
    segment.frames.push_back(ref);
  }
  segment.bytes += frame_.size();
  bytes_on_disk_ += frame_.size();
  if (first_seq != nullptr) *first_seq = next_seq_;
  next_seq_ = seq;
  ++appends_;
  if (options_.sync == SyncMode::kAlways) {
    if (std::string err = sync_locked(); !err.empty()) throw std::runtime_error("buffer: " + err);
  }
  return AppendResult::kAppended;
}

void SegmentedQueue::open_segment_locked(uint64_t first_seq) {
  if (append_fd_.valid() && synced_appends_ < appends_ && options_.sync != SyncMode::kNone) {
    // sync() only syncs the segment open for appends: the one left behind must be durable
    // before that changes.
    if (::fdatasync(append_fd_.get()) != 0) {
      throw std::runtime_error("buffer: " + errno_message("fdatasync", segments_.back().path));
    }
    synced_appends_ = appends_;
  }
  append_fd_.reset();
  Segment segment;
  segment.name_seq = first_seq;
  segment.path = segments_dir(options_.dir) / segment_file_name(first_seq);
  int fd = ::open(segment.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("buffer: " + errno_message("create", segment.path));
  append_fd_.reset(fd);
  segments_.push_back(std::move(segment));
  unsynced_dir_ = true;
}

std::string SegmentedQueue::sync() {
  std::unique_lock lock(mu_);
  const uint64_t wanted = appends_;  // every append that returned before this call
  while (true) {
    if (sync_running_) {  // it may cover `wanted`: look again once it is done
      sync_done_.wait(lock);
      continue;
    }
    if (synced_appends_ >= wanted && !unsynced_dir_) return {};
    // fdatasync without mu_: appends and reads go on meanwhile. A duplicate of the descriptor,
    // since a rollover may close the segment's own while it runs.
    const uint64_t target = appends_;
    const bool dir = std::exchange(unsynced_dir_, false);
    UniqueFd fd;
    std::string err;
    if (synced_appends_ < target && append_fd_.valid()) {
      fd.reset(::dup(append_fd_.get()));
      if (!fd.valid()) err = errno_message("dup", segments_.back().path);
    }
    const std::filesystem::path path = fd.valid() ? segments_.back().path : std::filesystem::path();
    sync_running_ = true;
    lock.unlock();
    if (fd.valid() && ::fdatasync(fd.get()) != 0) err = errno_message("fdatasync", path);
    if (err.empty() && dir) err = sync_directory(segments_dir(options_.dir));
    fd.reset();
    lock.lock();
    sync_running_ = false;
    sync_done_.notify_all();
    if (!err.empty()) {
      unsynced_dir_ = unsynced_dir_ || dir;
      return err;
    }
    synced_appends_ = std::max(synced_appends_, target);
  }
}

std::string SegmentedQueue::sync_locked() {
  if (synced_appends_ < appends_ && append_fd_.valid()) {
    if (::fdatasync(append_fd_.get()) != 0) {
      return errno_message("fdatasync", segments_.back().path);
    }
  }
  synced_appends_ = appends_;
  if (unsynced_dir_) {
    if (std::string err = sync_directory(segments_dir(options_.dir)); !err.empty()) return err;
    unsynced_dir_ = false;
  }
  return {};
}

std::optional<ReadFrame> SegmentedQueue::read(uint64_t from_seq, std::string storage) {
  std::lock_guard decode_lock(decode_mu_);
  std::string& bytes = read_buf_;
  while (true) {
    FrameRef ref;
    {
      std::lock_guard lock(mu_);
      auto seg_it = std::partition_point(segments_.begin(), segments_.end(),
                                         [&](const Segment& s) { return s.end_seq() <= from_seq; });
      while (seg_it != segments_.end() && seg_it->frames.empty())
        ++seg_it;
      if (seg_it == segments_.end()) return std::nullopt;
      Segment& segment = *seg_it;
      auto frame_it =
          std::partition_point(segment.frames.begin(), segment.frames.end(),
                               [&](const FrameRef& f) { return f.end_seq() <= from_seq; });
      ref = *frame_it;
      if (!segment.read_fd.valid()) {
        segment.read_fd.reset(::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!segment.read_fd.valid()) {
          throw std::runtime_error("buffer: " + errno_message("open", segment.path));
        }
      }
      std::string err = read_at(segment.read_fd.get(), ref.offset, ref.length, bytes);
      if (!err.empty() && bytes.size() == ref.length) {
        throw std::runtime_error("buffer: " + segment.path.string() + ": " + err);  // I/O error
      }
      // The bytes were verified at open or written by us: a failure now means the disk changed
      // them. Same treatment as at open: set the frame aside, go on with the next.
      if (!err.empty()) {
        set_aside_locked(static_cast<size_t>(seg_it - segments_.begin()),
                         static_cast<size_t>(frame_it - segment.frames.begin()), "frame cut short",
                         bytes);
        continue;
      }
    }
    // Checked and decompressed without mu_.
    FrameHeader h;
    ReadFrame out;
    uint64_t skip = std::max(from_seq, ref.first_seq) - ref.first_seq;
    std::string err;
    if (parse_frame_header(bytes, h) != HeaderParse::kOk) {
      err = "bad frame header";
    } else if (h.first_seq != ref.first_seq || h.record_count != ref.records ||
               h.frame_bytes() != ref.length) {
      err = "frame header differs from the index";
    } else {
      err = decoder_.decode(h, std::string_view(bytes).substr(h.header_len), skip, out.documents,
                            std::move(storage));
    }
    if (err.empty()) {
      out.first_seq = ref.first_seq + skip;
      out.next_seq = ref.end_seq();
      return out;
    }
    std::lock_guard lock(mu_);
    set_aside_if_indexed_locked(ref, err, bytes);
  }
}

void SegmentedQueue::set_aside_if_indexed_locked(const FrameRef& ref, const std::string& reason,
                                                 std::string_view bytes) {
  auto seg_it = std::partition_point(segments_.begin(), segments_.end(), [&](const Segment& s) {
    return s.end_seq() <= ref.first_seq;
  });
  if (seg_it == segments_.end()) return;
  auto frame_it = std::find_if(
      seg_it->frames.begin(), seg_it->frames.end(),
      [&](const FrameRef& f) { return f.first_seq == ref.first_seq && f.offset == ref.offset; });
  if (frame_it == seg_it->frames.end()) return;  // deleted meanwhile: every cursor passed it
  set_aside_locked(static_cast<size_t>(seg_it - segments_.begin()),
                   static_cast<size_t>(frame_it - seg_it->frames.begin()), reason, bytes);
}

void SegmentedQueue::set_aside_locked(size_t seg_index, size_t frame_index,
                                      const std::string& reason, std::string_view bytes) {
  Segment& segment = segments_[seg_index];
  const FrameRef ref = segment.frames[frame_index];
  std::string err = set_aside_corrupt(options_.dir, segment, ref.offset, bytes);
  if (err.empty()) ++corrupt_files_;
  log_.warn("corrupt frame found at read time, set aside",
            {{"segment", segment.path.string()},
             {"offset", ref.offset},
             {"records", static_cast<uint64_t>(ref.records)},
             {"reason", reason},
             {"set_aside_error", err}});
  segment.frames.erase(segment.frames.begin() + static_cast<ptrdiff_t>(frame_index));
  bool open_for_appends = seg_index + 1 == segments_.size() && append_fd_.valid();
  if (segment.frames.empty() && !open_for_appends) {
    std::error_code ec;
    fs::remove(segment.path, ec);
    bytes_on_disk_ -= segment.bytes;
    segments_.erase(segments_.begin() + static_cast<ptrdiff_t>(seg_index));
  }
}

uint64_t SegmentedQueue::cursor(const std::string& output) {
  std::lock_guard lock(mu_);
  auto it = cursors_.find(output);
  return it != cursors_.end() ? it->second : oldest_locked();
}

uint64_t SegmentedQueue::oldest_locked() const {
  for (const Segment& s : segments_) {
    if (!s.frames.empty()) return s.first_seq();
  }
  return next_seq_;
}

}  // namespace auditrelay::buffer
