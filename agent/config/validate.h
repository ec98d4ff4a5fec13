// Validation of YAML mappings against declared settings tables (STYLE.md §4): unknown keys,
// `<key>_file` secrets, required keys and defaults.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "agent/config/settings.h"
#include "agent/config/yaml_walk.h"

namespace auditrelay {

// The declared setting a YAML key names: the key itself, or `<key>_file` for a secret.
struct SettingMatch {
  const SettingSpec* spec = nullptr;  // nullptr: the key is unknown
  bool file_form = false;
};
SettingMatch find_setting(SettingsSpec spec, std::string_view key);

// Appends every key `spec` accepts (secrets in both forms), for "did you mean" hints.
void add_accepted_keys(SettingsSpec spec, std::vector<std::string>& keys);

// The Settings at `path` from `entries`, each of which find_setting() matched in `spec`;
// defaults fill the rest. `mark` is the mapping's, where missing required keys are reported.
Settings build_settings(const std::vector<const MapEntry*>& entries, SettingsSpec spec,
                        const std::string& path, const YAML::Mark& mark, const LoadContext& ctx);

// Validates mapping `node` at `path` against `spec`; any key it does not declare is an error.
Settings validate_mapping(const YAML::Node& node, SettingsSpec spec, const std::string& path,
                          const LoadContext& ctx);

}  // namespace auditrelay
