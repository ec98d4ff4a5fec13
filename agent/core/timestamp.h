// Wall-clock time as text, for logs and dead-letter entries.
#pragma once

#include <string>

namespace auditrelay {

// Now, as RFC 3339 UTC with milliseconds: 2026-01-16T18:22:11.123Z.
std::string utc_timestamp_now();

}  // namespace auditrelay
