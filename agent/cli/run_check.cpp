#include <cstdio>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/config/config.h"
#include "agent/core/config_schema.h"
#include "agent/core/engine.h"
#include "agent/core/log.h"

namespace auditrelay::cli {
namespace {

void print_config_error(const ConfigError& e) {
  std::cerr << "auditrelay: invalid configuration\n  " << e.what() << "\n";
}

void configure_logging_from(const PipelineConfig& config) {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  parse_log_level(config.service.string("log_level"), level);
  parse_log_format(config.service.string("log_format"), format);
  configure_logging(level, format);
}

}  // namespace

int run_command(const std::string& config_file, bool once) {
  try {
    PipelineConfig config = load_config(config_file, make_config_schema(builtin_plugins()));
    configure_logging_from(config);
    Engine engine(config, builtin_plugins(), RunOptions{once});
    return engine.run();
  } catch (const ConfigError& e) {
    print_config_error(e);
    return kExitFailure;
  }
}

int check_command(const std::string& config_file) {
  try {
    PipelineConfig config = load_config(config_file, make_config_schema(builtin_plugins()));
    Engine::validate(config, builtin_plugins());
    std::cout << render_effective_config(config);
    std::cerr << "auditrelay: " << config_file << " is valid\n";
    return kExitOk;
  } catch (const ConfigError& e) {
    print_config_error(e);
    return kExitFailure;
  }
}

}  // namespace auditrelay::cli
