// Input `http`: receives audit records POSTed as JSON, a JSON array or NDJSON, and answers
// each request only once its records are durable in the buffer. Over HTTPS with
// `tls: {cert_file, key_file}` (agent/http/tls.h), checked by `check` and at start.
#pragma once

#include "agent/core/plugin.h"

namespace auditrelay {

extern const InputPlugin kHttpInput;

}  // namespace auditrelay
