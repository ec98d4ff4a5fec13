// ${VAR}, ${VAR:-default} and $$ in scalar values, with the shell's meaning of ":-" (the default
// also replaces an empty value). A '$' followed by anything else is kept as is, so values such
// as bcrypt hashes need no escaping; "$${" writes a literal "${".
#include <cstdlib>

#include "agent/config/config.h"

namespace auditrelay {
namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) return false;
  for (char c : name) {
    if (!is_name_start(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> process_env(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string interpolate(std::string_view text, const EnvLookup& env, const ConfigMark& mark,
                        const std::string& key_path) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c != '$' || (next != '$' && next != '{')) {
      out += c;
      ++i;
      continue;
    }
    if (next == '$') {
      out += '$';
      i += 2;
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      throw ConfigError(mark, key_path, "unterminated '${' (write '$$' for a literal '$')");
    }
    const std::string_view inner = text.substr(i + 2, close - i - 2);
    const size_t separator = inner.find(":-");
    const std::string_view name = inner.substr(0, separator);
    if (!is_valid_name(name)) {
      throw ConfigError(mark, key_path,
                        "invalid variable name '" + std::string(name) +
                            "' (letters, digits and '_', not starting with a digit)");
    }
    std::optional<std::string_view> fallback;
    if (separator != std::string_view::npos) {
      fallback = inner.substr(separator + 2);
      if (fallback->find("${") != std::string_view::npos) {
        throw ConfigError(mark, key_path,
                          "the default of '" + std::string(name) + "' cannot contain '${'");
      }
    }
    // Values are inserted as they are: never interpolated again.
    const std::optional<std::string> value = env(name);
    if (value.has_value() && (!value->empty() || !fallback.has_value())) {
      out += *value;
    } else if (fallback.has_value()) {
      out += *fallback;
    } else {
      throw ConfigError(mark, key_path,
                        "environment variable '" + std::string(name) + "' is not set");
    }
    i = close + 1;
  }
  return out;
}

}  // namespace auditrelay
