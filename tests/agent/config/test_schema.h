// A small schema shaped like the real one, for the config tests: a tail-like and an http-like
// input, a file-like output (secret token, nested section, enum, sizes, durations) and stdout.
#pragma once

#include <map>
#include <string>

#include "agent/config/config.h"

namespace auditrelay::test {

ConfigSchema test_schema();

// An environment holding exactly `vars`.
EnvLookup fake_env(std::map<std::string, std::string> vars = {});

// load_config_text with file name "pipeline.yaml", base dir "/etc/auditrelay" and fake_env(vars).
PipelineConfig load_test_config(std::string_view yaml,
                                std::map<std::string, std::string> vars = {});

// The what() of the ConfigError that load_test_config(yaml, vars) throws ("" if none).
std::string config_error(std::string_view yaml, std::map<std::string, std::string> vars = {});

}  // namespace auditrelay::test
