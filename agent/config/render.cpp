// render_effective_config: what `check` prints. The output is itself a valid pipeline file
// (with the same meaning, secrets aside): '$' is written as "$$" so that loading it again does
// not interpolate what was already interpolated.
#include <yaml-cpp/yaml.h>

#include <type_traits>

#include "agent/config/config.h"
#include "agent/config/units.h"
#include "agent/core/redact.h"

namespace auditrelay {
namespace {

constexpr const char* kRedacted = "<redacted>";

std::string escape_dollars(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

bool has_values(const Settings& settings) {
  for (const auto& [key, entry] : settings.entries()) {
    if (!std::holds_alternative<std::monostate>(entry.value)) return true;
  }
  return false;
}

void emit_entries(YAML::Emitter& out, const Settings& settings);

void emit_value(YAML::Emitter& out, const Settings::Value& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out << escape_dollars(redact_url_passwords(v));
        } else if constexpr (std::is_same_v<T, bool>) {
          out << (v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, int64_t>) {
          out << std::to_string(v);
        } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
          out << format_duration(v);
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          out << format_size(v);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          out << YAML::Flow << YAML::BeginSeq;
          for (const std::string& item : v)
            out << escape_dollars(redact_url_passwords(item));
          out << YAML::EndSeq;
        } else if constexpr (std::is_same_v<T, std::shared_ptr<Settings>>) {
          // An empty block mapping would print as "key:\n  {}"; flow style keeps it on one line.
          if (v == nullptr || !has_values(*v)) {
            out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
          } else {
            out << YAML::BeginMap;
            emit_entries(out, *v);
            out << YAML::EndMap;
          }
        }
      },
      value);
}

// The entries of `settings` in declaration order; keys without a value are left out.
void emit_entries(YAML::Emitter& out, const Settings& settings) {
  for (const std::string& key : settings.keys()) {
    const Settings::Entry& entry = settings.entries().find(key)->second;
    if (std::holds_alternative<std::monostate>(entry.value)) continue;
    out << YAML::Key << key << YAML::Value;
    if (entry.secret) {
      out << kRedacted;  // never the value, nor anything derived from it such as its length
    } else {
      emit_value(out, entry.value);
    }
  }
}

void emit_instances(YAML::Emitter& out, const char* key,
                    const std::vector<InstanceConfig>& instances) {
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const InstanceConfig& instance : instances) {
    out << YAML::BeginMap;
    out << YAML::Key << "type" << YAML::Value << instance.type;
    out << YAML::Key << "name" << YAML::Value << instance.name;
    emit_entries(out, instance.common);
    emit_entries(out, instance.settings);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace

std::string render_effective_config(const PipelineConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "service" << YAML::Value << YAML::BeginMap;
  emit_entries(out, config.service);
  out << YAML::EndMap;
  out << YAML::Key << "pipeline" << YAML::Value << YAML::BeginMap;
  emit_entries(out, config.pipeline);
  emit_instances(out, "inputs", config.inputs);
  emit_instances(out, "outputs", config.outputs);
  out << YAML::EndMap;
  out << YAML::EndMap;
  if (!out.good()) throw std::logic_error("render_effective_config: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

}  // namespace auditrelay
