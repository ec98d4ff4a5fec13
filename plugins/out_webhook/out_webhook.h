#pragma once

#include "agent/core/plugin.h"

namespace auditrelay {

extern const OutputPlugin kWebhookOutput;

}  // namespace auditrelay
