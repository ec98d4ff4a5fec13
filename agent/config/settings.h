// Declared settings: each plugin (and the service/pipeline sections) publishes one table of
// keys with type, default and a one-line doc; the loader validates YAML against it and hands
// the plugin a typed, complete Settings object. See ../shared/design/STYLE.md §4.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace auditrelay {

// Where a key stood in the configuration file (1-based line and column).
struct ConfigMark {
  std::string file;
  int line = 0;
  int column = 0;
};

// A configuration problem, always tied to a file position and a key path such as
// "pipeline.inputs[1].paths". what() is "FILE:LINE:COL: KEY_PATH: MESSAGE".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(ConfigMark mark, std::string key_path, std::string message);

  const ConfigMark& mark() const { return mark_; }
  const std::string& key_path() const { return key_path_; }
  const std::string& message() const { return message_; }

 private:
  ConfigMark mark_;
  std::string key_path_;
  std::string message_;
};

enum class SettingType {
  kString,
  kBool,        // true/false or yes/no, in any letter case
  kInt,         // signed 64-bit
  kDuration,    // "250ms", "5s", "2m", "1h", or a bare number of seconds
  kSize,        // "512KiB", "64MiB", "2GiB", "10MB", or a bare number of bytes
  kPath,        // a string; relative paths resolve against the config file's directory
  kStringList,  // a sequence of strings (a single string is accepted as a one-item list)
  kPathList,    // kStringList whose items resolve like kPath (globs allowed)
  kEnum,        // a string, one of `choices`
  kSection,     // a nested mapping validated against `section`
};

struct SettingSpec;
using SettingsSpec = std::span<const SettingSpec>;

struct SettingSpec {
  std::string_view key;
  SettingType type;
  std::string_view default_value;  // in YAML text form; empty means "no default"
  std::string_view doc;            // one line: what the key does
  bool required = false;
  // Secrets are masked in `check` output and logs, and may instead be given as `<key>_file`
  // (the file's content with trailing newlines removed). Setting both is an error.
  bool secret = false;
  std::span<const std::string_view> choices = {};  // kEnum only
  SettingsSpec section = {};                       // kSection only
};

// The validated settings of one section or plugin instance. Every declared key has a value
// (the given one, else the default) unless it is optional without default.
class Settings {
 public:
  using Value = std::variant<std::monostate, std::string, bool, int64_t, std::chrono::milliseconds,
                             uint64_t, std::vector<std::string>, std::shared_ptr<Settings>>;

  Settings() = default;
  Settings(std::string key_path, ConfigMark mark) : path_(std::move(key_path)), mark_(mark) {}

  // Typed access. Asking for an undeclared key or the wrong type is a programming error
  // (std::logic_error), not a config error.
  const std::string& string(std::string_view key) const;  // kString, kPath, kEnum
  bool boolean(std::string_view key) const;
  int64_t integer(std::string_view key) const;
  std::chrono::milliseconds duration(std::string_view key) const;
  uint64_t size(std::string_view key) const;
  const std::vector<std::string>& strings(std::string_view key) const;  // lists
  const Settings& section(std::string_view key) const;

  // True when the key has a value (given or defaulted).
  bool has(std::string_view key) const;
  // True when the user wrote the key (or its `_file` form) in the file.
  bool given(std::string_view key) const;

  // For errors found after validation (e.g. a glob that cannot match): an error at that key.
  ConfigError error(std::string_view key, std::string message) const;

  const std::string& path() const { return path_; }
  const ConfigMark& mark() const { return mark_; }

  // Used by the loader.
  void set(std::string key, Value value, ConfigMark mark, bool given, bool secret);

  struct Entry {
    Value value;
    ConfigMark mark;
    bool given = false;
    bool secret = false;
  };
  const std::map<std::string, Entry, std::less<>>& entries() const { return entries_; }
  // The keys in the order they were first set: the loader sets them in declaration order.
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  const Entry& entry(std::string_view key) const;

  std::string path_;
  ConfigMark mark_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::vector<std::string> keys_;
};

bool parse_duration(std::string_view text, std::chrono::milliseconds& out);
bool parse_size(std::string_view text, uint64_t& out);

}  // namespace auditrelay
