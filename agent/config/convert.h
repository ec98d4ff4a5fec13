// Turns one YAML value into the typed Settings::Value its SettingSpec declares: interpolation,
// unit parsing, enum checks, path resolution, nested sections.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "agent/config/settings.h"
#include "agent/config/yaml_walk.h"

namespace auditrelay {

// `node` is the value written at `path` (its position `mark`). With `interpolate`, ${VAR} is
// expanded in every scalar first (off for declared defaults).
Settings::Value convert_node(const SettingSpec& spec, const YAML::Node& node,
                             const YAML::Mark& mark, const std::string& path,
                             const LoadContext& ctx, bool interpolate);

// A value that is already text (an interpolated scalar, a secret file's content).
Settings::Value convert_text(const SettingSpec& spec, const std::string& text,
                             const YAML::Mark& mark, const std::string& path,
                             const LoadContext& ctx);

// The declared default of `spec` (not a section, default_value not empty), converted like a
// given value. A default that does not convert is a bug in the table: std::logic_error.
Settings::Value convert_default(const SettingSpec& spec, const YAML::Mark& mark,
                                const std::string& path, const LoadContext& ctx);

// `text` resolved against `base_dir` when relative; absolute and empty paths stay as they are.
std::string resolve_path(const std::string& text, const std::filesystem::path& base_dir);

}  // namespace auditrelay
