// Input `tail`: follows JSON-lines files matched by globs, through rotation and restarts.
#pragma once

#include "agent/core/plugin.h"

namespace auditrelay {

extern const InputPlugin kTailInput;

}  // namespace auditrelay
