#include "agent/config/instances.h"

#include "agent/config/convert.h"
#include "agent/config/validate.h"

namespace auditrelay {
namespace {

std::string string_value(const MapEntry& entry, const LoadContext& ctx) {
  static constexpr SettingSpec kString{.key = "", .type = SettingType::kString};
  return std::get<std::string>(
      convert_node(kString, entry.value, entry.value_mark, entry.path, ctx, true));
}

// Names end up in metric labels, log lines and state directory names: keep them to a safe
// alphabet (no '/', no leading '.').
bool is_valid_name(std::string_view name) {
  auto word_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (name.empty() || !word_char(name.front())) return false;
  for (char c : name) {
    if (!word_char(c) && c != '-' && c != '.') return false;
  }
  return true;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

const MapEntry* find_entry(const std::vector<MapEntry>& entries, std::string_view key) {
  for (const MapEntry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

InstanceConfig load_instance(std::string_view kind, const YAML::Node& node, const std::string& path,
                             const ConfigSchema& schema, const LoadContext& ctx,
                             InstanceNames& names) {
  const YAML::Mark mark = node.Mark();
  if (!node.IsMap()) {
    ctx.fail(mark, path, "expected a mapping with a 'type', found " + describe_node(node));
  }
  const std::vector<MapEntry> entries = mapping_entries(node, path, ctx);

  InstanceConfig instance;
  instance.key_path = path;
  instance.mark = ctx.mark(mark);

  const MapEntry* type_entry = find_entry(entries, "type");
  if (type_entry == nullptr)
    ctx.fail(mark, child_path(path, "type"), "missing required key 'type'");
  instance.type = string_value(*type_entry, ctx);
  const SettingsSpec* plugin_spec = schema.plugin(kind, instance.type);
  if (plugin_spec == nullptr) {
    ctx.fail(type_entry->value_mark, type_entry->path,
             "unknown " + std::string(kind) + " type '" + instance.type +
                 "' (known: " + join(schema.plugin_types(kind)) + ")");
  }

  const MapEntry* name_entry = find_entry(entries, "name");
  instance.name = name_entry != nullptr ? string_value(*name_entry, ctx) : instance.type;
  if (name_entry != nullptr && !is_valid_name(instance.name)) {
    ctx.fail(name_entry->value_mark, name_entry->path,
             "invalid name '" + instance.name +
                 "' (letters, digits, '_', '-' and '.', not starting with '-' or '.')");
  }
  const YAML::Mark name_mark = name_entry != nullptr ? name_entry->value_mark : mark;
  const std::string name_path = name_entry != nullptr ? name_entry->path : path;
  auto [previous, inserted] =
      names.used.try_emplace(instance.name, InstanceNames::Use{path, name_mark.line + 1});
  if (!inserted) {
    ctx.fail(name_mark, name_path,
             "duplicate name '" + instance.name + "' (already used by " +
                 previous->second.key_path + " on line " + std::to_string(previous->second.line) +
                 "); give each a unique 'name'");
  }

  const SettingsSpec common_spec = kind == "input" ? schema.input_common : schema.output_common;
  std::vector<std::string> known{"type", "name"};
  add_accepted_keys(common_spec, known);
  add_accepted_keys(*plugin_spec, known);
  std::vector<const MapEntry*> common_entries;
  std::vector<const MapEntry*> plugin_entries;
  for (const MapEntry& entry : entries) {
    if (&entry == type_entry || &entry == name_entry) continue;
    if (find_setting(common_spec, entry.key).spec != nullptr) {
      common_entries.push_back(&entry);
    } else if (find_setting(*plugin_spec, entry.key).spec != nullptr) {
      plugin_entries.push_back(&entry);
    } else {
      ctx.fail(entry.key_mark, entry.path, unknown_key_message(entry.key, known));
    }
  }
  instance.common = build_settings(common_entries, common_spec, path, mark, ctx);
  instance.settings = build_settings(plugin_entries, *plugin_spec, path, mark, ctx);
  return instance;
}

}  // namespace

std::vector<InstanceConfig> load_instances(std::string_view kind, const MapEntry& entry,
                                           const ConfigSchema& schema, const LoadContext& ctx,
                                           InstanceNames& names) {
  const std::string kind_text(kind);
  if (!entry.value.IsSequence()) {
    ctx.fail(entry.value_mark, entry.path,
             "expected a list of " + kind_text + "s, found " + describe_node(entry.value));
  }
  if (entry.value.size() == 0) {
    ctx.fail(entry.value_mark, entry.path, "at least one " + kind_text + " is required");
  }
  std::vector<InstanceConfig> instances;
  for (const YAML::Node& item : entry.value) {
    instances.push_back(
        load_instance(kind, item, item_path(entry.path, instances.size()), schema, ctx, names));
  }
  return instances;
}

}  // namespace auditrelay
