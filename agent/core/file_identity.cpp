#include "agent/core/file_identity.h"

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace auditrelay {

std::optional<Fingerprint> compute_fingerprint(int fd, std::optional<uint32_t> length) {
  char buf[kFingerprintBytes];
  size_t want = length ? std::min<size_t>(*length, kFingerprintBytes) : kFingerprintBytes;
  ssize_t n = ::pread(fd, buf, want, 0);
  if (n < 0) return std::nullopt;
  size_t got = static_cast<size_t>(n);
  size_t len = 0;
  if (length) {
    if (got < want) return std::nullopt;
    len = want;
  } else if (const void* nl = std::memchr(buf, '\n', got)) {
    len = static_cast<size_t>(static_cast<const char*>(nl) - buf) + 1;
  } else if (got == kFingerprintBytes) {
    len = got;
  } else {
    return std::nullopt;
  }
  return Fingerprint{XXH64(buf, len, 0), static_cast<uint32_t>(len)};
}

std::string file_id_key(const FileIdentity& identity, const Fingerprint& fingerprint) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llu:%016llx", static_cast<unsigned long long>(identity.inode),
                static_cast<unsigned long long>(fingerprint.hash));
  return buf;
}

std::string stream_id_key(int fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    FileIdentity identity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    auto fp = compute_fingerprint(fd, std::nullopt);
    if (!fp && st.st_size > 0) {
      fp = compute_fingerprint(
          fd, static_cast<uint32_t>(std::min<off_t>(st.st_size, kFingerprintBytes)));
    }
    if (fp) return file_id_key(identity, *fp);
  }
  return "stream:" + name;
}

}  // namespace auditrelay
