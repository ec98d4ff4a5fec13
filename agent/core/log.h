// Structured logging to stderr: one line per event, text (default) or JSON.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace auditrelay {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

// Process-wide settings; thread-safe to log from any thread once configured.
void configure_logging(LogLevel level, LogFormat format);
bool parse_log_level(std::string_view text, LogLevel& out);
bool parse_log_format(std::string_view text, LogFormat& out);

// One key=value pair attached to a log line.
struct LogField {
  std::string_view key;
  std::string value;
  bool quoted = true;  // JSON: false writes the value as a bare number/boolean

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  template <typename T>
  requires std::is_arithmetic_v<T> &&(!std::is_same_v<T, bool>)LogField(std::string_view k, T v)
      : key(k), value(std::to_string(v)), quoted(false) {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), quoted(false) {}
};

using LogFields = std::initializer_list<LogField>;

// A named source of log lines, e.g. "engine" or "in_tail[gateway]".
class Logger {
 public:
  explicit Logger(std::string component) : component_(std::move(component)) {}

  void debug(std::string_view msg, LogFields fields = {}) const {
    write(LogLevel::kDebug, msg, fields);
  }
  void info(std::string_view msg, LogFields fields = {}) const {
    write(LogLevel::kInfo, msg, fields);
  }
  void warn(std::string_view msg, LogFields fields = {}) const {
    write(LogLevel::kWarn, msg, fields);
  }
  void error(std::string_view msg, LogFields fields = {}) const {
    write(LogLevel::kError, msg, fields);
  }
  bool enabled(LogLevel level) const;
  const std::string& component() const { return component_; }

 private:
  void write(LogLevel level, std::string_view msg, LogFields fields) const;

  std::string component_;
};

}  // namespace auditrelay
