#include "agent/core/durable_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace auditrelay {
namespace {

std::string errno_text(std::string_view what, const std::filesystem::path& path) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

std::string sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_text("open directory", dir);
  std::string err;
  if (::fsync(fd) != 0) err = errno_text("fsync directory", dir);
  ::close(fd);
  return err;
}

}  // namespace

std::string write_all(int fd, std::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::strerror(errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return {};
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

AppendFile::AppendFile(AppendFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

AppendFile& AppendFile::operator=(AppendFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

std::string AppendFile::open() {
  std::error_code ec;
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return errno_text("open", path_);
  return {};
}

std::string AppendFile::append(std::string_view data, bool sync) {
  if (fd_ < 0) {
    if (std::string err = open(); !err.empty()) return err;
  }
  if (std::string err = write_all(fd_, data); !err.empty()) {
    return "write " + path_.string() + ": " + err;
  }
  if (sync && ::fdatasync(fd_) != 0) return errno_text("fdatasync", path_);
  return {};
}

std::string replace_file_atomically(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("open", tmp);
  std::string err = write_all(fd, content);
  if (!err.empty()) err = "write " + tmp.string() + ": " + err;
  if (err.empty() && ::fsync(fd) != 0) err = errno_text("fsync", tmp);
  ::close(fd);
  if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno_text("rename", tmp);
  if (err.empty()) err = sync_directory(path.parent_path());
  return err;
}

}  // namespace auditrelay
