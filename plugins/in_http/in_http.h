// Input `http`: receives audit records POSTed as JSON, a JSON array or NDJSON, and answers
// each request only once its records are durable in the buffer.
#pragma once

#include "agent/core/plugin.h"

namespace auditrelay {

extern const InputPlugin kHttpInput;

}  // namespace auditrelay
