#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/cli/setup/replace_all.h"
#include "agent/config/config.h"
#include "agent/core/config_schema.h"
#include "agent/core/engine.h"
#include "agent/core/log.h"
#include "agent/core/redact.h"

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

// Every secret value of an output as it could come back in a probe's message (a server may
// echo what it was sent): the secret settings, and the values of secret "Name: value" headers.
std::vector<std::string> secrets_of(const Settings& settings) {
  std::vector<std::string> secrets;
  auto add = [&secrets](const std::string& s) {
    if (s.size() >= 4) secrets.push_back(s);  // shorter ones would mask ordinary words
  };
  for (const auto& [key, entry] : settings.entries()) {
    if (!entry.secret) continue;
    if (const auto* s = std::get_if<std::string>(&entry.value)) add(*s);
    if (const auto* list = std::get_if<std::vector<std::string>>(&entry.value)) {
      for (const std::string& item : *list) {
        add(item);
        if (size_t colon = item.find(':'); colon != std::string::npos) {
          size_t start = item.find_first_not_of(' ', colon + 1);
          if (start != std::string::npos) add(item.substr(start));
        }
      }
    }
  }
  return secrets;
}

// One line per output: "output[NAME] TYPE TARGET: ok — MESSAGE" (or FAILED). Returns whether
// the probe passed; an output without a probe has nothing to connect to and passes.
bool probe_output(const InstanceConfig& output, const OutputPlugin& plugin,
                  const std::filesystem::path& storage) {
  std::string line = "output[" + output.name + "] " + output.type;
  if (plugin.probe == nullptr) {
    std::cout << line << ": nothing to connect to" << std::endl;
    return true;
  }
  // The path the output would use, not created: the probe writes nothing.
  OutputContext context{output.name, (storage / "outputs" / output.name).string(), nullptr,
                        nullptr};
  ProbeResult result;
  try {
    result = plugin.probe(output.settings, context);
  } catch (const std::exception& e) {
    result.ok = false;
    result.message = std::string("could not probe: ") + e.what();
  }
  if (!result.target.empty()) line += " " + redact_url_passwords(result.target);
  line += std::string(": ") + (result.ok ? "ok" : "FAILED") + " \u2014 " + result.message;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  for (const std::string& secret : secrets_of(output.settings))
    line = setup::replace_all(std::move(line), secret, "***");
  std::cout << line << std::endl;
  return result.ok;
}

// Tries every output's endpoint and credentials, one after another.
bool probe_outputs(const PipelineConfig& config) {
  const std::filesystem::path storage = config.service.section("storage").string("path");
  bool all_ok = true;
  for (const InstanceConfig& output : config.outputs) {
    const OutputPlugin* plugin = builtin_plugins().output(output.type);
    all_ok = probe_output(output, *plugin, storage) && all_ok;
  }
  return all_ok;
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

int check_command(const std::string& config_file, bool connect) {
  try {
    PipelineConfig config = load_config(config_file, make_config_schema(builtin_plugins()));
    Engine::validate(config, builtin_plugins());
    std::cout << render_effective_config(config);
    std::cerr << "auditrelay: " << config_file << " is valid\n";
    if (!connect) return kExitOk;
    std::cout.flush();
    return probe_outputs(config) ? kExitOk : kExitFailure;
  } catch (const ConfigError& e) {
    print_config_error(e);
    return kExitFailure;
  }
}

}  // namespace auditrelay::cli
