// Output `file`: documents appended to a file as NDJSON, or as an Elasticsearch _bulk body
// that can be replayed with `curl --data-binary @FILE`.
#pragma once

#include "agent/core/plugin.h"

namespace auditrelay {

extern const OutputPlugin kFileOutput;

}  // namespace auditrelay
