// Loads the YAML pipeline file: ${VAR} / ${VAR:-default} interpolation, `*_file` secrets,
// validation against declared settings, errors with file:line:col and key path.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/settings.h"

namespace auditrelay {

// The shape the loader validates against. The core provides it (agent/core/config_schema.h):
// config/ knows YAML and settings, not which plugins exist.
struct ConfigSchema {
  SettingsSpec service;        // keys of `service:`
  SettingsSpec pipeline;       // keys of `pipeline:` other than inputs/outputs
  SettingsSpec input_common;   // keys every input has besides type/name (e.g. schema)
  SettingsSpec output_common;  // keys every output has besides type/name
  // The settings of plugin `type`, or nullptr when no such plugin exists; kind is "input" or
  // "output".
  std::function<const SettingsSpec*(std::string_view kind, std::string_view type)> plugin;
  // Known types, for "unknown type 'x' (known: a, b)" messages.
  std::function<std::vector<std::string>(std::string_view kind)> plugin_types;
};

// One input or output of the pipeline.
struct InstanceConfig {
  std::string type;
  std::string name;      // `name`, or the type when absent; unique among inputs and outputs
  std::string key_path;  // e.g. "pipeline.inputs[0]"
  ConfigMark mark;
  Settings common;    // validated against ConfigSchema::input_common / output_common
  Settings settings;  // validated against the plugin's own table
};

struct PipelineConfig {
  std::filesystem::path file;      // as given
  std::filesystem::path base_dir;  // relative paths resolve against it
  Settings service;
  Settings pipeline;
  std::vector<InstanceConfig> inputs;
  std::vector<InstanceConfig> outputs;
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// Reads the process environment.
std::optional<std::string> process_env(std::string_view name);

// Throws ConfigError on any problem (unreadable file included, at line 0).
PipelineConfig load_config(const std::filesystem::path& file, const ConfigSchema& schema,
                           const EnvLookup& env = process_env);
// Same, from text; `file_name` is used in errors and `base_dir` for relative paths.
PipelineConfig load_config_text(std::string_view yaml, const std::string& file_name,
                                const std::filesystem::path& base_dir, const ConfigSchema& schema,
                                const EnvLookup& env = process_env);

// Interpolates ${VAR}, ${VAR:-default} and $$ in one scalar. Throws ConfigError at `mark` /
// `key_path` when a variable is unset and has no default, or the syntax is broken.
std::string interpolate(std::string_view text, const EnvLookup& env, const ConfigMark& mark,
                        const std::string& key_path);

// The effective configuration (defaults filled in, paths resolved) as YAML, secrets masked.
std::string render_effective_config(const PipelineConfig& config);

}  // namespace auditrelay
