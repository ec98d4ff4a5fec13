#include "agent/config/validate.h"

#include <memory>
#include <optional>

#include "agent/config/convert.h"
#include "agent/config/secret_file.h"

namespace auditrelay {
namespace {

constexpr std::string_view kFileSuffix = "_file";

// The `<key>_file` form: the file's path is a kPath like any other, its content the value.
Settings::Value read_file_form(const SettingSpec& spec, const MapEntry& entry,
                               const LoadContext& ctx) {
  const SettingSpec path_spec{.key = entry.key, .type = SettingType::kPath};
  const std::string file = std::get<std::string>(
      convert_node(path_spec, entry.value, entry.value_mark, entry.path, ctx, true));
  if (file.empty()) ctx.fail(entry.value_mark, entry.path, "expected a path, found ''");
  std::string secret;
  std::string error;
  if (!read_secret_file(file, secret, error)) ctx.fail(entry.value_mark, entry.path, error);
  return convert_text(spec, secret, entry.value_mark, entry.path, ctx);
}

}  // namespace

SettingMatch find_setting(SettingsSpec spec, std::string_view key) {
  for (const SettingSpec& s : spec) {
    if (s.key == key) return {&s, false};
  }
  if (key.ends_with(kFileSuffix)) {
    const std::string_view base = key.substr(0, key.size() - kFileSuffix.size());
    for (const SettingSpec& s : spec) {
      if (s.secret && s.key == base) return {&s, true};
    }
  }
  return {};
}

void add_accepted_keys(SettingsSpec spec, std::vector<std::string>& keys) {
  for (const SettingSpec& s : spec) {
    keys.emplace_back(s.key);
    if (s.secret) keys.push_back(std::string(s.key) + std::string(kFileSuffix));
  }
}

Settings build_settings(const std::vector<const MapEntry*>& entries, SettingsSpec spec,
                        const std::string& path, const YAML::Mark& mark, const LoadContext& ctx) {
  // Which entry gives each declared key. Both forms of a secret are caught before either is
  // read, so the error is about the conflict and not about the file.
  std::vector<const MapEntry*> source(spec.size(), nullptr);
  std::vector<bool> file_form(spec.size(), false);
  for (const MapEntry* entry : entries) {
    const SettingMatch match = find_setting(spec, entry->key);
    if (match.spec == nullptr) {
      throw std::logic_error("build_settings: '" + entry->path + "' is not declared");
    }
    const auto index = static_cast<size_t>(match.spec - spec.data());
    if (source[index] != nullptr) {
      const std::string key(match.spec->key);
      ctx.fail(
          entry->key_mark, entry->path,
          "'" + key + "' and '" + key + std::string(kFileSuffix) + "' are both set; set only one");
    }
    source[index] = entry;
    file_form[index] = match.file_form;
  }

  Settings settings(path, ctx.mark(mark));
  for (size_t i = 0; i < spec.size(); ++i) {
    const SettingSpec& s = spec[i];
    const std::string key(s.key);
    if (const MapEntry* entry = source[i]) {
      Settings::Value value =
          file_form[i] ? read_file_form(s, *entry, ctx)
                       : convert_node(s, entry->value, entry->value_mark, entry->path, ctx, true);
      settings.set(key, std::move(value), ctx.mark(entry->key_mark), true, s.secret);
      continue;
    }
    const std::string key_path = child_path(path, key);
    if (s.required) {
      std::string message = "missing required key '" + key + "'";
      if (s.secret) message += " (or '" + key + std::string(kFileSuffix) + "')";
      ctx.fail(mark, key_path, std::move(message));
    }
    Settings::Value value;
    if (s.type == SettingType::kSection) {
      // Sections always exist, so plugins read nested defaults without checking has().
      value = std::make_shared<Settings>(build_settings({}, s.section, key_path, mark, ctx));
    } else if (!s.default_value.empty()) {
      value = convert_default(s, mark, key_path, ctx);
    }
    settings.set(key, std::move(value), ctx.mark(mark), false, s.secret);
  }
  return settings;
}

Settings validate_mapping(const YAML::Node& node, SettingsSpec spec, const std::string& path,
                          const LoadContext& ctx) {
  const std::vector<MapEntry> entries = mapping_entries(node, path, ctx);
  std::vector<std::string> known;
  add_accepted_keys(spec, known);
  std::vector<const MapEntry*> matched;
  for (const MapEntry& entry : entries) {
    if (find_setting(spec, entry.key).spec == nullptr) {
      ctx.fail(entry.key_mark, entry.path, unknown_key_message(entry.key, known));
    }
    matched.push_back(&entry);
  }
  return build_settings(matched, spec, path, node.Mark(), ctx);
}

}  // namespace auditrelay
