// The tail input's committed read positions, kept on the loop thread: rebuilt after each read
// cycle from the files the tailer follows, and advanced as batches are acknowledged.
#pragma once

#include <vector>

#include "plugins/in_tail/file_tailer.h"
#include "plugins/in_tail/offset_store.h"

namespace auditrelay {

class CommittedOffsets {
 public:
  // The offsets saved by an earlier run (generation 0).
  void load(std::vector<StoredOffset> stored);

  // Rebuilds the entries from what the tailer follows after a cycle: known files keep their
  // offset, new files (and new generations of truncated ones) start where the tailer starts,
  // released files are dropped. Returns whether anything changed.
  bool sync(const std::vector<CommittedOffset>& files);

  // Moves offsets forward for an acknowledged batch; progress of a generation that is gone
  // (the file was truncated or released since) is ignored. Returns whether anything changed.
  bool acknowledge(const std::vector<FileProgress>& progress);

  const std::vector<CommittedOffset>& entries() const { return entries_; }
  std::vector<StoredOffset> stored() const;

 private:
  std::vector<CommittedOffset> entries_;
};

}  // namespace auditrelay
