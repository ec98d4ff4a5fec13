#include "agent/buffer/recovery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "agent/buffer/segment_scan.h"
#include "agent/core/durable_io.h"
#include "agent/core/log.h"

namespace auditrelay::buffer {
namespace {

namespace fs = std::filesystem;

struct Repairer {
  const fs::path& dir;
  bool repair;
  RecoveryReport& report;
  Logger log{"buffer"};

  void note(std::string line) {
    if (repair) log.warn(line);
    report.notes.push_back(std::move(line));
  }

  // Cuts the file back to `size` durably: the torn bytes would otherwise sit in front of the
  // next append.
  std::string truncate(const fs::path& path, uint64_t size) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return errno_message("open", path);
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
      return errno_message("truncate", path);
    }
    if (::fdatasync(fd.get()) != 0) return errno_message("fdatasync", path);
    return {};
  }

  void remove(const fs::path& path) {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) note("cannot remove " + path.string() + ": " + ec.message());
  }

  // Builds the index of one segment file, repairing it first. Leaves `segment.frames` empty
  // when nothing usable is left.
  void recover(Segment& segment, SegmentBytes& bytes, bool last, uint64_t min_seq,
               uint64_t& floor) {
    SegmentScan scan = scan_segment(bytes, last, min_seq);
    floor = std::max(floor, scan.damaged_end_seq);
    std::string name = segment.path.filename().string();
    for (const CorruptRange& c : scan.corrupt) {
      ++report.corrupt_frames;
      report.corrupt_bytes += c.length;
      std::string line = "corrupt frame in " + name + " at offset " + std::to_string(c.offset) +
                         " (" + std::to_string(c.length) + " bytes): " + c.reason;
      if (repair) {
        std::string err = set_aside_corrupt(dir, segment, c.offset, bytes.read(c.offset, c.length));
        line += err.empty() ? ", set aside in corrupt/" : ", could not be set aside: " + err;
      }
      note(std::move(line));
    }
    if (scan.torn_bytes > 0) {
      report.torn_bytes_cut += scan.torn_bytes;
      note("cut off an unfinished frame of " + std::to_string(scan.torn_bytes) +
           " bytes at the end of " + name + " (a crash during an append)");
    }
    segment.bytes = bytes.size();
    for (const ScannedFrame& f : scan.frames) {
      segment.frames.push_back({f.header.first_seq, f.header.record_count, f.offset,
                                f.header.frame_bytes(), f.header.append_time_ms});
    }
    if (!repair || (scan.corrupt.empty() && scan.torn_bytes == 0)) return;
    if (segment.frames.empty()) return;  // the caller removes the file
    if (scan.corrupt.empty()) {
      if (std::string err = truncate(segment.path, scan.torn_at); !err.empty()) {
        note(err);  // bytes stays the file size, so the queue will not append here
        return;
      }
      segment.bytes = scan.torn_at;
      return;
    }
    // Rewrite the segment with its good frames only (temporary file, fsync, rename), so the
    // corrupt bytes are not met again at every start. (Only this repair holds a segment's
    // worth of bytes in memory.)
    std::string content;
    for (FrameRef& f : segment.frames) {
      uint64_t offset = content.size();
      content.append(bytes.read(f.offset, f.length));
      f.offset = offset;
    }
    if (std::string err = replace_file_atomically(segment.path, content); !err.empty()) {
      note("cannot rewrite " + name + ": " + err);
      // The original file is intact: index it as it is (the queue will not append to it).
      segment.frames.clear();
      for (const ScannedFrame& f : scan.frames) {
        segment.frames.push_back({f.header.first_seq, f.header.record_count, f.offset,
                                  f.header.frame_bytes(), f.header.append_time_ms});
      }
      return;
    }
    segment.bytes = content.size();
  }
};

}  // namespace

std::string set_aside_corrupt(const fs::path& dir, const Segment& segment, uint64_t offset,
                              std::string_view bytes) {
  create_private_directories(corrupt_dir(dir));  // a failure shows in the write below
  fs::path target =
      corrupt_dir(dir) / (segment.path.stem().string() + "-" + std::to_string(offset) + ".bin");
  return replace_file_atomically(target, bytes);
}

uint64_t count_corrupt_files(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(corrupt_dir(dir), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() == ".bin") ++n;
  }
  return n;
}

RecoveredSegments recover_segments(const fs::path& dir, bool repair, RecoveryReport& report) {
  Repairer r{dir, repair, report};
  RecoveredSegments out;
  std::vector<std::pair<uint64_t, fs::path>> files;
  std::error_code ec;
  fs::directory_iterator it(segments_dir(dir), ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (auto seq = parse_segment_file_name(name)) {
      files.emplace_back(*seq, it->path());
    } else if (repair && name.ends_with(".seg.tmp")) {
      r.remove(it->path());  // a rewrite cut short by a crash; the segment itself is intact
    }
  }
  if (ec)
    throw std::runtime_error("cannot list " + segments_dir(dir).string() + ": " + ec.message());
  std::sort(files.begin(), files.end());

  // Appends only go to the newest segment, the only one where a crash can tear a frame.
  size_t last = files.size();
  for (size_t i = files.size(); i-- > 0;) {
    if (fs::file_size(files[i].second, ec) > 0 && !ec) {
      last = i;
      break;
    }
  }
  uint64_t min_seq = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    Segment segment;
    segment.name_seq = files[i].first;
    segment.path = files[i].second;
    // Left in place when it cannot be read: its name must not be reused by a new segment.
    auto unreadable = [&](const std::string& err) {
      out.next_seq_floor = std::max(out.next_seq_floor, segment.name_seq + 1);
      r.note("cannot read segment, skipped: " + err);
    };
    UniqueFd fd(::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
      unreadable(errno_message(fd.valid() ? "stat" : "open", segment.path));
      continue;
    }
    if (st.st_size == 0) {
      if (repair) r.remove(segment.path);  // created just before a crash
      continue;
    }
    FileBytes bytes(fd.get(), static_cast<uint64_t>(st.st_size));
    // The file's name is the first sequence number written to it.
    out.next_seq_floor = std::max(out.next_seq_floor, segment.name_seq + 1);
    try {
      r.recover(segment, bytes, i == last, min_seq, out.next_seq_floor);
    } catch (const std::runtime_error& e) {
      unreadable(e.what());  // recover() changes the file only after its last read
      continue;
    }
    if (segment.frames.empty()) {
      if (repair) r.remove(segment.path);
      continue;
    }
    min_seq = segment.end_seq();
    out.next_seq_floor = std::max(out.next_seq_floor, min_seq);
    report.frames += segment.frames.size();
    for (const FrameRef& f : segment.frames)
      report.records += f.records;
    out.segments.push_back(std::move(segment));
  }
  report.segments = out.segments.size();
  return out;
}

}  // namespace auditrelay::buffer
