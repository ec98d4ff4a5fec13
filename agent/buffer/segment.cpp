#include "agent/buffer/segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace auditrelay::buffer {

namespace {
constexpr size_t kSeqDigits = 20;  // UINT64_MAX has 20 digits
constexpr std::string_view kSegmentSuffix = ".seg";
}  // namespace

std::string segment_file_name(uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.seg", static_cast<unsigned long long>(first_seq));
  return buf;
}

std::optional<uint64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != kSeqDigits + kSegmentSuffix.size() ||
      name.substr(kSeqDigits) != kSegmentSuffix) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < kSeqDigits; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset(other.fd_);
    other.fd_ = -1;
  }
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string errno_message(std::string_view what, const std::filesystem::path& path) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

std::string read_whole_file(const std::filesystem::path& path, std::string& out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_message("open", path);
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return errno_message("seek", path);
  return read_at(fd.get(), 0, static_cast<uint64_t>(size), out);
}

std::string read_at(int fd, uint64_t offset, uint64_t length, std::string& out) {
  out.resize(length);
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::string("read: ") + std::strerror(errno);
    if (n == 0) {
      out.resize(done);
      return "read: the file is shorter than expected";
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

std::string sync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno_message("open directory", dir);
  if (::fsync(fd.get()) != 0) return errno_message("fsync directory", dir);
  return {};
}

}  // namespace auditrelay::buffer
