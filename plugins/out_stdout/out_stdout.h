// Output `stdout`: documents as NDJSON (or a _bulk body) on standard output.
#pragma once

#include "agent/core/plugin.h"

namespace auditrelay {

extern const OutputPlugin kStdoutOutput;

}  // namespace auditrelay
