// The tail input's durable read positions: one small JSON file per input, replaced
// atomically. Files are known by identity (device, inode) plus a fingerprint of their first
// line, so a reused inode is not taken for the file that had it before.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/file_identity.h"

namespace auditrelay {

struct StoredOffset {
  FileIdentity identity;
  std::optional<Fingerprint> fingerprint;  // absent while the file had no complete first line
  uint64_t offset = 0;                     // everything before it is durably handed on
  std::string path;                        // informational: where the file was last seen
};

class OffsetStore {
 public:
  explicit OffsetStore(std::filesystem::path file) : file_(std::move(file)) {}

  struct Loaded {
    std::vector<StoredOffset> offsets;
    bool existed = false;  // false: the very first start of this input
    std::string warning;   // set when the file was unreadable or corrupt (then treated as empty)
  };
  Loaded load() const;
  // Returns "" or why it failed.
  std::string save(const std::vector<StoredOffset>& offsets) const;

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

}  // namespace auditrelay
