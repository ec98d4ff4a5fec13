#pragma once

#include "agent/core/plugin.h"

namespace auditrelay {

extern const OutputPlugin kElasticsearchOutput;

}  // namespace auditrelay
