// Wall-clock time as text, for logs and dead-letter entries.
#pragma once

#include <chrono>
#include <string>

namespace auditrelay {

// Now, as RFC 3339 UTC with milliseconds: 2026-01-16T18:22:11.123Z.
std::string utc_timestamp_now();
// The same for any point in time.
std::string utc_timestamp(std::chrono::system_clock::time_point t);

}  // namespace auditrelay
