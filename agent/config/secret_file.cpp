#include "agent/config/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace auditrelay {
namespace {

// A secret is a token or a key, not a data file; refuse anything bigger rather than read it.
constexpr size_t kMaxSecretBytes = 64 * 1024;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

bool read_secret_file(const std::filesystem::path& path, std::string& secret, std::string& error) {
  const std::string prefix = "secret file '" + path.string() + "'";
  auto fail_errno = [&](int err) {
    error = "cannot read " + prefix + ": " + std::strerror(err);
    return false;
  };
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail_errno(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(errno);
  if (S_ISDIR(st.st_mode)) return fail_errno(EISDIR);

  std::string content;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > kMaxSecretBytes) {
      error = prefix + " is larger than " + std::to_string(kMaxSecretBytes / 1024) + " KiB";
      return false;
    }
  }
  while (!content.empty() && content.back() == '\n') {
    content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
  }
  if (content.empty()) {
    error = prefix + " is empty";
    return false;
  }
  secret = std::move(content);
  return true;
}

}  // namespace auditrelay
