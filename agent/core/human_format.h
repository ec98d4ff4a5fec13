// Sizes and durations as an operator reads them, for logs, health reasons and the CLI.
#pragma once

#include <cstdint>
#include <string>

namespace auditrelay {

// 45s, 2m05s, 3h07m, 2d04h.
std::string human_duration(int64_t seconds);

// 512 B, 1.5 KiB, 3.2 GiB.
std::string human_bytes(uint64_t n);

}  // namespace auditrelay
