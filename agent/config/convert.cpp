#include "agent/config/convert.h"

#include <algorithm>
#include <memory>

#include "agent/config/units.h"
#include "agent/config/validate.h"

namespace auditrelay {
namespace {

std::string expectation(const SettingSpec& spec) {
  switch (spec.type) {
    case SettingType::kString:
      return "a string";
    case SettingType::kBool:
      return "a boolean (true/false/yes/no)";
    case SettingType::kInt:
      return "an integer";
    case SettingType::kDuration:
      return "a duration such as 250ms, 5s, 2m or 1h";
    case SettingType::kSize:
      return "a size such as 512KiB, 64MiB, 2GiB or 10MB";
    case SettingType::kPath:
      return "a path";
    case SettingType::kStringList:
      return "a list of strings";
    case SettingType::kPathList:
      return "a list of paths";
    case SettingType::kEnum: {
      std::string choices;
      for (std::string_view choice : spec.choices) {
        if (!choices.empty()) choices += ", ";
        choices += choice;
      }
      return "one of [" + choices + "]";
    }
    case SettingType::kSection:
      return "a mapping";
  }
  return "a value";
}

[[noreturn]] void fail_type(const SettingSpec& spec, const std::string& found,
                            const YAML::Mark& mark, const std::string& path,
                            const LoadContext& ctx) {
  ctx.fail(mark, path, "expected " + expectation(spec) + ", found " + found);
}

// What was written, for an error message; a secret's text is never repeated.
std::string found_text(const SettingSpec& spec, const std::string& text) {
  if (spec.secret) return "a value that is not shown (secret)";
  return "'" + text + "'";
}

bool is_list(SettingType type) {
  return type == SettingType::kStringList || type == SettingType::kPathList;
}

}  // namespace

std::string resolve_path(const std::string& text, const std::filesystem::path& base_dir) {
  if (text.empty()) return text;
  const std::filesystem::path path(text);
  if (path.is_absolute()) return text;
  return (base_dir / path).lexically_normal().string();
}

Settings::Value convert_text(const SettingSpec& spec, const std::string& text,
                             const YAML::Mark& mark, const std::string& path,
                             const LoadContext& ctx) {
  switch (spec.type) {
    case SettingType::kString:
      return text;
    case SettingType::kPath:
      return resolve_path(text, ctx.base_dir);
    case SettingType::kStringList:
      return std::vector<std::string>{text};
    case SettingType::kPathList:
      return std::vector<std::string>{resolve_path(text, ctx.base_dir)};
    case SettingType::kBool:
      if (bool value = false; parse_bool(text, value)) return value;
      break;
    case SettingType::kInt:
      if (int64_t value = 0; parse_int(text, value)) return value;
      break;
    case SettingType::kDuration:
      if (std::chrono::milliseconds value{}; parse_duration(text, value)) return value;
      break;
    case SettingType::kSize:
      if (uint64_t value = 0; parse_size(text, value)) return value;
      break;
    case SettingType::kEnum:
      if (std::find(spec.choices.begin(), spec.choices.end(), text) != spec.choices.end()) {
        return text;
      }
      break;
    case SettingType::kSection:
      break;
  }
  fail_type(spec, found_text(spec, text), mark, path, ctx);
}

Settings::Value convert_node(const SettingSpec& spec, const YAML::Node& node,
                             const YAML::Mark& mark, const std::string& path,
                             const LoadContext& ctx, bool interpolate) {
  auto text_of = [&](const YAML::Node& scalar, const YAML::Mark& at, const std::string& at_path) {
    if (!interpolate) return scalar.Scalar();
    return auditrelay::interpolate(scalar.Scalar(), *ctx.env, ctx.mark(at), at_path);
  };

  if (spec.type == SettingType::kSection) {
    if (!node.IsMap()) fail_type(spec, describe_node(node), mark, path, ctx);
    return std::make_shared<Settings>(validate_mapping(node, spec.section, path, ctx));
  }
  if (is_list(spec.type) && node.IsSequence()) {
    const SettingSpec item_spec{
        .key = spec.key,
        .type = spec.type == SettingType::kPathList ? SettingType::kPath : SettingType::kString,
        .secret = spec.secret};
    std::vector<std::string> items;
    for (const YAML::Node& item : node) {
      const std::string at_path = item_path(path, items.size());
      // An alias item's mark is its anchor's; point at the list instead.
      const YAML::Mark at = item.Mark().pos < mark.pos ? mark : item.Mark();
      if (!item.IsScalar()) fail_type(item_spec, describe_node(item), at, at_path, ctx);
      items.push_back(std::get<std::string>(
          convert_text(item_spec, text_of(item, at, at_path), at, at_path, ctx)));
    }
    return items;
  }
  if (!node.IsScalar()) fail_type(spec, describe_node(node), mark, path, ctx);
  return convert_text(spec, text_of(node, mark, path), mark, path, ctx);
}

Settings::Value convert_default(const SettingSpec& spec, const YAML::Mark& mark,
                                const std::string& path, const LoadContext& ctx) {
  const std::string text(spec.default_value);
  const std::string bad_default = "setting '" + path + "' has an invalid default '" + text + "': ";
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw std::logic_error(bad_default + e.msg);
  }
  try {
    return convert_node(spec, node, mark, path, ctx, /*interpolate=*/false);
  } catch (const ConfigError& e) {
    throw std::logic_error(bad_default + e.message());
  }
}

}  // namespace auditrelay
