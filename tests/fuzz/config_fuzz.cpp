// Fuzzes the configuration loader as `auditrelay check` runs it: YAML text → interpolation,
// validation against the declared settings of every compiled-in plugin, the plugins' own
// checks, and the rendering of the effective configuration. A bad file must be refused with
// a ConfigError (file, line, key); any other exception escaping is a finding, since `run` and
// SIGHUP reload only catch ConfigError.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "agent/config/config.h"
#include "agent/core/config_schema.h"
#include "agent/core/engine.h"
#include "agent/core/log.h"

namespace {

// A fixed environment, so that runs replay exactly whatever the fuzzer's own environment.
// The variables conf/*.yaml (the seed corpus) use.
std::optional<std::string> fake_env(std::string_view name) {
  if (name == "DEPLOY_ENV") return "prod";
  if (name == "AUDITRELAY_LOG_LEVEL") return "warn";
  if (name == "AUDITRELAY_HTTP_TOKEN") return "http-token-1234";
  if (name == "ELASTICSEARCH_URL") return "http://127.0.0.1:9200";
  if (name == "ELASTIC_API_KEY") return "aWQ6a2V5";
  if (name == "SPLUNK_HEC_TOKEN") return "00000000-0000-0000-0000-000000000000";
  if (name == "WEBHOOK_SECRET") return "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  if (name == "EMPTY") return "";
  return std::nullopt;
}

// Relative paths resolve here; the loader only reads (secret and TLS files), never writes.
const std::filesystem::path& base_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::temp_directory_path() / "auditrelay-config-fuzz";
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auditrelay::configure_logging(auditrelay::LogLevel::kError, auditrelay::LogFormat::kText);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auditrelay::ConfigSchema schema =
      auditrelay::make_config_schema(auditrelay::builtin_plugins());
  static const auditrelay::EnvLookup env = fake_env;
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  try {
    auditrelay::PipelineConfig config =
        auditrelay::load_config_text(yaml, "fuzz.yaml", base_dir(), schema, env);
    auditrelay::Engine::validate(config, auditrelay::builtin_plugins());
    const std::string rendered = auditrelay::render_effective_config(config);
    if (rendered.empty()) std::abort();  // a valid configuration always renders something
  } catch (const auditrelay::ConfigError&) {
    // Refused with a message: what a bad file must get.
  }
  return 0;
}
