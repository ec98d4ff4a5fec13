// Loads `pipeline.inputs` / `pipeline.outputs`: each item picks a plugin by `type`, is named by
// `name`, and splits its other keys between the common table and the plugin's own.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.h"
#include "agent/config/yaml_walk.h"

namespace auditrelay {

// Instance names taken so far (inputs and outputs share one namespace): where each was set.
struct InstanceNames {
  struct Use {
    std::string key_path;
    int line = 0;
  };
  std::map<std::string, Use, std::less<>> used;
};

// `entry` is `inputs:` (kind "input") or `outputs:` (kind "output").
std::vector<InstanceConfig> load_instances(std::string_view kind, const MapEntry& entry,
                                           const ConfigSchema& schema, const LoadContext& ctx,
                                           InstanceNames& names);

}  // namespace auditrelay
