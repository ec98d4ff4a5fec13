#include "tests/agent/config/test_schema.h"

#include <array>
#include <string_view>

namespace auditrelay::test {
namespace {

constexpr std::array<std::string_view, 4> kLogLevels{"debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 3> kSyncModes{"batch", "always", "never"};
constexpr std::array<std::string_view, 3> kSchemas{"auto", "policy_gateway", "governance_audit"};
constexpr std::array<std::string_view, 2> kReadFrom{"head", "tail"};
constexpr std::array<std::string_view, 2> kFormats{"ndjson", "json"};

constexpr std::array kStorage{
    SettingSpec{.key = "path",
                .type = SettingType::kPath,
                .default_value = "/var/lib/auditrelay",
                .doc = "state directory"},
    SettingSpec{.key = "max_bytes",
                .type = SettingType::kSize,
                .default_value = "2GiB",
                .doc = "buffer limit"},
    SettingSpec{.key = "sync",
                .type = SettingType::kEnum,
                .default_value = "batch",
                .doc = "fsync policy",
                .choices = kSyncModes},
};

constexpr std::array kService{
    SettingSpec{.key = "log_level",
                .type = SettingType::kEnum,
                .default_value = "info",
                .doc = "least severe level logged",
                .choices = kLogLevels},
    SettingSpec{.key = "storage",
                .type = SettingType::kSection,
                .doc = "durable state",
                .section = kStorage},
    SettingSpec{.key = "shutdown_timeout",
                .type = SettingType::kDuration,
                .default_value = "10s",
                .doc = "flush time on SIGTERM"},
};

constexpr std::array kNormalize{
    SettingSpec{.key = "dataset",
                .type = SettingType::kString,
                .default_value = "policy_gateway.audit",
                .doc = "data_stream.dataset"},
    SettingSpec{.key = "namespace",
                .type = SettingType::kString,
                .default_value = "default",
                .doc = "data_stream.namespace"},
    SettingSpec{.key = "max_depth",
                .type = SettingType::kInt,
                .default_value = "32",
                .doc = "deepest nesting"},
};

constexpr std::array kPipeline{
    SettingSpec{.key = "normalize",
                .type = SettingType::kSection,
                .doc = "record mapping",
                .section = kNormalize},
};

constexpr std::array kInputCommon{
    SettingSpec{.key = "schema",
                .type = SettingType::kEnum,
                .default_value = "auto",
                .doc = "record schema",
                .choices = kSchemas},
};

constexpr std::array kOutputCommon{
    SettingSpec{.key = "max_batch",
                .type = SettingType::kSize,
                .default_value = "5MiB",
                .doc = "largest request"},
};

constexpr std::array kTail{
    SettingSpec{
        .key = "paths", .type = SettingType::kPathList, .doc = "globs to tail", .required = true},
    SettingSpec{.key = "exclude",
                .type = SettingType::kStringList,
                .default_value = "[]",
                .doc = "globs to skip"},
    SettingSpec{.key = "poll_interval",
                .type = SettingType::kDuration,
                .default_value = "250ms",
                .doc = "how often to look for new files"},
    SettingSpec{.key = "max_line",
                .type = SettingType::kSize,
                .default_value = "64KiB",
                .doc = "longest line"},
    SettingSpec{.key = "read_from",
                .type = SettingType::kEnum,
                .default_value = "head",
                .doc = "where new files start",
                .choices = kReadFrom},
    SettingSpec{.key = "follow_symlinks",
                .type = SettingType::kBool,
                .default_value = "false",
                .doc = "follow symlinks"},
    SettingSpec{.key = "state_file", .type = SettingType::kPath, .doc = "offsets file"},
};

constexpr std::array kHttp{
    SettingSpec{
        .key = "listen", .type = SettingType::kString, .doc = "address:port", .required = true},
    SettingSpec{.key = "token",
                .type = SettingType::kString,
                .doc = "bearer token",
                .required = true,
                .secret = true},
};

constexpr std::array kRotate{
    SettingSpec{.key = "max_size",
                .type = SettingType::kSize,
                .default_value = "64MiB",
                .doc = "rotate above"},
    SettingSpec{.key = "max_age",
                .type = SettingType::kDuration,
                .default_value = "1h",
                .doc = "rotate after"},
    SettingSpec{.key = "keep",
                .type = SettingType::kInt,
                .default_value = "5",
                .doc = "rotated files kept"},
};

constexpr std::array kFile{
    SettingSpec{.key = "path", .type = SettingType::kPath, .doc = "output file", .required = true},
    SettingSpec{
        .key = "token", .type = SettingType::kString, .doc = "shared secret", .secret = true},
    SettingSpec{.key = "format",
                .type = SettingType::kEnum,
                .default_value = "ndjson",
                .doc = "line format",
                .choices = kFormats},
    SettingSpec{.key = "compress",
                .type = SettingType::kBool,
                .default_value = "true",
                .doc = "gzip rotated files"},
    SettingSpec{.key = "retries", .type = SettingType::kInt, .doc = "attempts"},
    SettingSpec{
        .key = "rotate", .type = SettingType::kSection, .doc = "rotation", .section = kRotate},
};

constexpr std::array kStdout{
    SettingSpec{
        .key = "pretty", .type = SettingType::kBool, .default_value = "no", .doc = "indent JSON"},
};

const SettingsSpec kTailSpec = kTail;
const SettingsSpec kHttpSpec = kHttp;
const SettingsSpec kFileSpec = kFile;
const SettingsSpec kStdoutSpec = kStdout;

}  // namespace

ConfigSchema test_schema() {
  ConfigSchema schema;
  schema.service = kService;
  schema.pipeline = kPipeline;
  schema.input_common = kInputCommon;
  schema.output_common = kOutputCommon;
  schema.plugin = [](std::string_view kind, std::string_view type) -> const SettingsSpec* {
    if (kind == "input" && type == "tail") return &kTailSpec;
    if (kind == "input" && type == "http") return &kHttpSpec;
    if (kind == "output" && type == "file") return &kFileSpec;
    if (kind == "output" && type == "stdout") return &kStdoutSpec;
    return nullptr;
  };
  schema.plugin_types = [](std::string_view kind) {
    return kind == "input" ? std::vector<std::string>{"http", "tail"}
                           : std::vector<std::string>{"file", "stdout"};
  };
  return schema;
}

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

PipelineConfig load_test_config(std::string_view yaml, std::map<std::string, std::string> vars) {
  return load_config_text(yaml, "pipeline.yaml", "/etc/auditrelay", test_schema(),
                          fake_env(std::move(vars)));
}

std::string config_error(std::string_view yaml, std::map<std::string, std::string> vars) {
  try {
    load_test_config(yaml, std::move(vars));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace auditrelay::test
