// The pause before retrying a local write (dead-letter file, disk buffer, stdout/file output)
// after a failure of the disk or a pipe: doubling from 1 s, at most 30 s. Network outputs get
// the full policy (jitter, Retry-After) of agent/delivery/.
#pragma once

#include <algorithm>
#include <cstdint>

namespace auditrelay {

// `failures` counts consecutive failures and is updated; returns the delay in milliseconds.
inline uint64_t next_local_backoff_ms(unsigned& failures) {
  failures = std::min(failures + 1, 6u);
  return std::min<uint64_t>(500ull << failures, 30'000);
}

}  // namespace auditrelay
