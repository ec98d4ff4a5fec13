#include "agent/config/settings.h"

#include <utility>

namespace auditrelay {
namespace {

std::string format_error(const ConfigMark& mark, const std::string& key_path,
                         const std::string& message) {
  std::string text =
      mark.file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column) + ": ";
  // Errors about the file as a whole (unreadable, YAML syntax) have no key path.
  if (!key_path.empty()) text += key_path + ": ";
  return text + message;
}

std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

// The value of `entry` as a T, or a logic_error naming what the caller got wrong.
template <typename T>
const T& typed(const Settings::Entry& entry, const std::string& path, const char* what) {
  if (const T* value = std::get_if<T>(&entry.value)) return *value;
  if (std::holds_alternative<std::monostate>(entry.value)) {
    throw std::logic_error("setting '" + path + "' has no value; check has() first");
  }
  throw std::logic_error("setting '" + path + "' is not " + what);
}

}  // namespace

ConfigError::ConfigError(ConfigMark mark, std::string key_path, std::string message)
    : std::runtime_error(format_error(mark, key_path, message)),
      mark_(std::move(mark)),
      key_path_(std::move(key_path)),
      message_(std::move(message)) {}

const Settings::Entry& Settings::entry(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    throw std::logic_error("setting '" + child_path(path_, key) + "' is not declared");
  }
  return it->second;
}

const std::string& Settings::string(std::string_view key) const {
  return typed<std::string>(entry(key), child_path(path_, key), "a string");
}

bool Settings::boolean(std::string_view key) const {
  return typed<bool>(entry(key), child_path(path_, key), "a boolean");
}

int64_t Settings::integer(std::string_view key) const {
  return typed<int64_t>(entry(key), child_path(path_, key), "an integer");
}

std::chrono::milliseconds Settings::duration(std::string_view key) const {
  return typed<std::chrono::milliseconds>(entry(key), child_path(path_, key), "a duration");
}

uint64_t Settings::size(std::string_view key) const {
  return typed<uint64_t>(entry(key), child_path(path_, key), "a size");
}

const std::vector<std::string>& Settings::strings(std::string_view key) const {
  return typed<std::vector<std::string>>(entry(key), child_path(path_, key), "a list");
}

const Settings& Settings::section(std::string_view key) const {
  const auto& section =
      typed<std::shared_ptr<Settings>>(entry(key), child_path(path_, key), "a section");
  if (section == nullptr) {
    throw std::logic_error("setting '" + child_path(path_, key) + "' is a null section");
  }
  return *section;
}

bool Settings::has(std::string_view key) const {
  return !std::holds_alternative<std::monostate>(entry(key).value);
}

bool Settings::given(std::string_view key) const {
  return entry(key).given;
}

ConfigError Settings::error(std::string_view key, std::string message) const {
  return ConfigError(entry(key).mark, child_path(path_, key), std::move(message));
}

void Settings::set(std::string key, Value value, ConfigMark mark, bool given, bool secret) {
  auto [it, inserted] = entries_.try_emplace(key);
  if (inserted) keys_.push_back(std::move(key));
  it->second = Entry{std::move(value), std::move(mark), given, secret};
}

}  // namespace auditrelay
