#include "agent/core/durable_io.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "agent/core/log.h"

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
  close();
}

AppendFile::AppendFile(AppendFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(other.fd_),
      size_(other.size_),
      cut_bytes_(other.cut_bytes_) {
  other.fd_ = -1;
}

AppendFile& AppendFile::operator=(AppendFile&& other) noexcept {
  if (this != &other) {
    close();
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    size_ = other.size_;
    cut_bytes_ = other.cut_bytes_;
    other.fd_ = -1;
  }
  return *this;
}

std::string AppendFile::open() {
  // A failure shows in the open below, with the file's name.
  if (path_.has_parent_path()) create_private_directories(path_.parent_path());
  bool created = false;
  fd_ = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ >= 0) {
    created = true;
  } else if (errno == EEXIST) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  }
  if (fd_ < 0) return errno_text("open", path_);
  // A new file's directory entry must be durable too, or a power cut could take the file
  // with everything its readers were told is written.
  if (created) return sync_directory(path_.parent_path());
  return cut_torn_tail();
}

// A crash in the middle of a write leaves a last line without its newline; appending after it
// would glue the next record onto it. Cut the file back to its last complete line.
std::string AppendFile::cut_torn_tail() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return errno_text("stat", path_);
  off_t end = st.st_size;
  char buf[64 * 1024];
  while (end > 0) {
    off_t start = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
    ssize_t n = ::pread(fd_, buf, static_cast<size_t>(end - start), start);
    if (n < 0) return errno_text("read", path_);
    const void* nl = memrchr(buf, '\n', static_cast<size_t>(n));
    if (nl != nullptr) {
      end = start + (static_cast<const char*>(nl) - buf) + 1;
      break;
    }
    end = start;
  }
  if (end < st.st_size) {
    if (::ftruncate(fd_, end) != 0) return errno_text("truncate", path_);
    cut_bytes_ += static_cast<uint64_t>(st.st_size - end);
    Logger("append_file")
        .warn("cut off a torn last line left by a crash",
              {{"path", path_.string()}, {"bytes", static_cast<uint64_t>(st.st_size - end)}});
  }
  size_ = static_cast<uint64_t>(end);
  return {};
}

std::string AppendFile::append(std::string_view data, bool sync) {
  if (fd_ < 0) {
    if (std::string err = open(); !err.empty()) {
      close();
      return err;
    }
  }
  if (std::string err = write_all(fd_, data); !err.empty()) {
    // Take back what part of the write landed, so a retry does not follow half a record.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) close();
    return "write " + path_.string() + ": " + err;
  }
  size_ += data.size();
  if (sync && ::fdatasync(fd_) != 0) {
    std::string err = errno_text("fdatasync", path_);
    close();  // reopened (and checked) by the next append
    return err;
  }
  return {};
}

void AppendFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string create_private_directories(const std::filesystem::path& dir) {
  std::filesystem::path partial;
  for (const std::filesystem::path& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) return errno_text("mkdir", partial);
  }
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
