#include "agent/core/config_schema.h"

#include <array>
#include <string_view>

namespace auditrelay {
namespace {

constexpr std::array<std::string_view, 4> kLogLevels{"debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 2> kLogFormats{"text", "json"};
constexpr std::array<std::string_view, 3> kSchemas{"auto", "policy_gateway", "governance_audit"};

constexpr std::array<std::string_view, 3> kSyncModes{"always", "batch", "none"};
constexpr std::array<std::string_view, 2> kWhenFull{"block", "drop_oldest"};

constexpr std::array kStorageSettings{
    SettingSpec{.key = "path",
                .type = SettingType::kPath,
                .default_value = "/var/lib/auditrelay",
                .doc = "Directory for durable state: buffer, read offsets, dead-letter files"},
    SettingSpec{.key = "max_bytes",
                .type = SettingType::kSize,
                .default_value = "2GiB",
                .doc = "Most the disk buffer may hold; then when_full applies"},
    SettingSpec{.key = "when_full",
                .type = SettingType::kEnum,
                .default_value = "block",
                .doc = "block: inputs pause until outputs free space; drop_oldest: drop and count",
                .choices = kWhenFull},
    SettingSpec{.key = "sync",
                .type = SettingType::kEnum,
                .default_value = "batch",
                .doc = "always: fsync every append; batch: one fsync per sync_interval window "
                       "(inputs are acknowledged after it); none: leave it to the OS",
                .choices = kSyncModes},
    SettingSpec{.key = "sync_interval",
                .type = SettingType::kDuration,
                .default_value = "10ms",
                .doc = "sync: batch — at most one fsync per this interval"},
    SettingSpec{.key = "segment_bytes",
                .type = SettingType::kSize,
                .default_value = "64MiB",
                .doc = "Size at which the buffer starts a new segment file"},
    SettingSpec{.key = "compression_level",
                .type = SettingType::kInt,
                .default_value = "-3",
                .doc = "zstd level of buffer frames (negative levels are zstd's fast ones: -3 "
                       "costs about a fifth less CPU than 1, for about a third more disk)"},
};

constexpr std::array kHttpServerSettings{
    SettingSpec{.key = "listen",
                .type = SettingType::kString,
                .doc = "host:port of the monitoring server (/api/v1/health, "
                       "/api/v1/metrics/prometheus, /api/v1/status); off unless set; a bare "
                       "port binds 127.0.0.1"},
    SettingSpec{.key = "output_failing_after",
                .type = SettingType::kDuration,
                .default_value = "1m",
                .doc = "How long an output must fail every attempt before health reports it"},
};

constexpr std::array kServiceSettings{
    SettingSpec{.key = "log_level",
                .type = SettingType::kEnum,
                .default_value = "info",
                .doc = "Least severe level logged",
                .choices = kLogLevels},
    SettingSpec{.key = "log_format",
                .type = SettingType::kEnum,
                .default_value = "text",
                .doc = "Log line format on stderr",
                .choices = kLogFormats},
    SettingSpec{.key = "shutdown_timeout",
                .type = SettingType::kDuration,
                .default_value = "10s",
                .doc = "How long SIGTERM/SIGINT may take to flush before the agent gives up"},
    SettingSpec{.key = "storage",
                .type = SettingType::kSection,
                .doc = "Durable state",
                .section = kStorageSettings},
    SettingSpec{.key = "http_server",
                .type = SettingType::kSection,
                .doc = "Monitoring: health, Prometheus metrics, status",
                .section = kHttpServerSettings},
};

constexpr std::array kNormalizeSettings{
    SettingSpec{.key = "dataset",
                .type = SettingType::kString,
                .default_value = "policy_gateway.audit",
                .doc = "data_stream.dataset and event.dataset of every document"},
    SettingSpec{.key = "namespace",
                .type = SettingType::kString,
                .default_value = "default",
                .doc = "data_stream.namespace of every document"},
    SettingSpec{.key = "service_name",
                .type = SettingType::kString,
                .default_value = "policy-gateway",
                .doc = "service.name of every document"},
    SettingSpec{.key = "max_depth",
                .type = SettingType::kInt,
                .default_value = "32",
                .doc = "Deepest object/array nesting accepted in a record"},
};

constexpr std::array kDeadLetterSettings{
    SettingSpec{
        .key = "path",
        .type = SettingType::kPath,
        .doc = "NDJSON file of rejected records (default <storage.path>/dead_letter.ndjson)"},
};

constexpr std::array kPipelineSettings{
    SettingSpec{.key = "normalize",
                .type = SettingType::kSection,
                .doc = "How records become documents (MAPPING.md)",
                .section = kNormalizeSettings},
    SettingSpec{.key = "dead_letter",
                .type = SettingType::kSection,
                .doc = "Where rejected records go",
                .section = kDeadLetterSettings},
};

constexpr std::array kInputCommonSettings{
    SettingSpec{.key = "schema",
                .type = SettingType::kEnum,
                .default_value = "auto",
                .doc = "Record schema: policy_gateway, governance_audit, or auto (per record)",
                .choices = kSchemas},
};

}  // namespace

ConfigSchema make_config_schema(const PluginRegistry& plugins) {
  ConfigSchema schema;
  schema.service = kServiceSettings;
  schema.pipeline = kPipelineSettings;
  schema.input_common = kInputCommonSettings;
  schema.output_common = {};
  schema.plugin = [&plugins](std::string_view kind, std::string_view type) -> const SettingsSpec* {
    if (kind == "input") {
      const InputPlugin* p = plugins.input(type);
      return p != nullptr ? &p->settings : nullptr;
    }
    const OutputPlugin* p = plugins.output(type);
    return p != nullptr ? &p->settings : nullptr;
  };
  schema.plugin_types = [&plugins](std::string_view kind) {
    return kind == "input" ? plugins.input_types() : plugins.output_types();
  };
  return schema;
}

}  // namespace auditrelay
