// How a followed file is recognised across renames and restarts: device and inode, plus a
// fingerprint of its first line so that a reused inode is not taken for the file that had it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace auditrelay {

struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

// XXH64 of the file's first line (newline included), or of its first kFingerprintBytes when
// that line is longer.
struct Fingerprint {
  uint64_t hash = 0;
  uint32_t length = 0;
  bool operator==(const Fingerprint&) const = default;
};
inline constexpr uint32_t kFingerprintBytes = 256;

// With `length`, hashes exactly that many first bytes (nullopt if the file is shorter now);
// without, the first line or the first kFingerprintBytes, nullopt while neither exists.
std::optional<Fingerprint> compute_fingerprint(int fd, std::optional<uint32_t> length);

// RecordSource::id_key of a file: "<inode>:<fingerprint hex>". Stable across renames and
// restarts; a truncated and rewritten file gets a new one with its new first line.
std::string file_id_key(const FileIdentity& identity, const Fingerprint& fingerprint);

// The id key of records read from `fd` by a command (`normalize`, `report`): for a regular
// file the key the tail input gives it, so that both derive the same record ids; for anything
// else (a pipe, stdin) "stream:<name>".
std::string stream_id_key(int fd, const std::string& name);

}  // namespace auditrelay
