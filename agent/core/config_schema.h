// The settings of the `service:` and `pipeline:` sections, and the ConfigSchema that ties them
// to the registered plugins.
#pragma once

#include "agent/config/config.h"
#include "agent/core/plugin_registry.h"

namespace auditrelay {

ConfigSchema make_config_schema(const PluginRegistry& plugins);

}  // namespace auditrelay
