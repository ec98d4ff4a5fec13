// File writes that survive a crash: whole-buffer appends with optional fdatasync, and atomic
// replacement (write a temporary, fsync, rename, fsync the directory).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace auditrelay {

// An append-only file of newline-terminated records. Errors are returned as text ("" on success)
// because a full disk or a vanished directory is a fact of the world, not a bug.
class AppendFile {
 public:
  AppendFile() = default;
  explicit AppendFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~AppendFile();
  AppendFile(AppendFile&& other) noexcept;
  AppendFile& operator=(AppendFile&& other) noexcept;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  // Opens (creating it and its directory, mode 0600) on first use, cutting off a torn last
  // line that a crash left. A failed write is taken back whole, so the file only ever holds
  // complete lines.
  std::string append(std::string_view data, bool sync);
  const std::filesystem::path& path() const { return path_; }
  // Bytes of torn last lines cut off so far (each cut is logged too).
  uint64_t cut_bytes() const { return cut_bytes_; }

 private:
  std::string open();
  std::string cut_torn_tail();
  void close();

  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t size_ = 0;  // the file's length after the last complete append
  uint64_t cut_bytes_ = 0;
};

// Writes all of `data` to `fd`, retrying short writes and EINTR. Returns "" or strerror text.
std::string write_all(int fd, std::string_view data);

// Creates `dir` and its missing parents with mode 0700 whatever the umask (state and
// dead-letter files hold audit data); directories that exist are left as they are. Returns ""
// or the error.
std::string create_private_directories(const std::filesystem::path& dir);

// Replaces `path` with `content` so that a reader sees the old or the new file, never a mix,
// even after a crash.
std::string replace_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace auditrelay
