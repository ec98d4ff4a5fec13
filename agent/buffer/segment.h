// Segment files and the in-memory index of their frames: the queue's layout on disk
// (<dir>/segments/<first seq, 20 digits>.seg, <dir>/cursors/, <dir>/corrupt/) and the small
// file helpers the queue, its recovery and inspect() share.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::buffer {

inline std::filesystem::path segments_dir(const std::filesystem::path& dir) {
  return dir / "segments";
}
inline std::filesystem::path cursors_dir(const std::filesystem::path& dir) {
  return dir / "cursors";
}
inline std::filesystem::path corrupt_dir(const std::filesystem::path& dir) {
  return dir / "corrupt";
}

// Zero-padded so that the names sort like the numbers.
std::string segment_file_name(uint64_t first_seq);
std::optional<uint64_t> parse_segment_file_name(std::string_view name);

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Where one frame is: enough to find a sequence number and read its bytes back.
struct FrameRef {
  uint64_t first_seq = 0;
  uint32_t records = 0;
  uint64_t offset = 0;  // in the segment file
  uint64_t length = 0;  // header and payload
  uint64_t append_time_ms = 0;

  uint64_t end_seq() const { return first_seq + records; }
};

struct Segment {
  uint64_t name_seq = 0;  // from the file name
  std::filesystem::path path;
  uint64_t bytes = 0;            // the file's size
  std::vector<FrameRef> frames;  // in file order, sequence numbers increasing
  UniqueFd read_fd;              // opened on the first read

  uint64_t first_seq() const { return frames.empty() ? name_seq : frames.front().first_seq; }
  uint64_t end_seq() const { return frames.empty() ? name_seq : frames.back().end_seq(); }
};
using SegmentList = std::deque<Segment>;

// "" or "<what> <path>: <strerror(errno)>".
std::string errno_message(std::string_view what, const std::filesystem::path& path);
std::string read_whole_file(const std::filesystem::path& path, std::string& out);
// pread of exactly `length` bytes at `offset`.
std::string read_at(int fd, uint64_t offset, uint64_t length, std::string& out);
// Makes creations, renames and removals of entries in `dir` durable.
std::string sync_directory(const std::filesystem::path& dir);

}  // namespace auditrelay::buffer
