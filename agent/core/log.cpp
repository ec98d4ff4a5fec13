#include "agent/core/log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>

#include "agent/core/redact.h"
#include "agent/core/timestamp.h"

namespace auditrelay {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kText};
std::mutex g_write_mutex;

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void append_text_value(std::string& line, std::string_view v) {
  if (!needs_quotes(v)) {
    line += v;
    return;
  }
  line += '"';
  for (char c : v) {
    switch (c) {
      case '"':
        line += "\\\"";
        break;
      case '\\':
        line += "\\\\";
        break;
      case '\n':
        line += "\\n";
        break;
      case '\r':
        line += "\\r";
        break;
      case '\t':
        line += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\x%02x", static_cast<unsigned char>(c));
          line += esc;
        } else {
          line += c;
        }
    }
  }
  line += '"';
}

std::string format_text(LogLevel level, std::string_view component, std::string_view msg,
                        LogFields fields) {
  std::string line = utc_timestamp_now();
  line += ' ';
  std::string_view name = level_name(level);
  line += name;
  line.append(6 - name.size(), ' ');
  line += component;
  line += ": ";
  line += msg;
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_text_value(line,
                      may_hold_url_password(f.value) ? redact_url_passwords(f.value) : f.value);
  }
  line += '\n';
  return line;
}

std::string format_json(LogLevel level, std::string_view component, std::string_view msg,
                        LogFields fields) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("time");
  w.String(utc_timestamp_now());
  w.Key("level");
  w.String(level_name(level).data(), static_cast<rapidjson::SizeType>(level_name(level).size()));
  w.Key("component");
  w.String(component.data(), static_cast<rapidjson::SizeType>(component.size()));
  w.Key("msg");
  w.String(msg.data(), static_cast<rapidjson::SizeType>(msg.size()));
  for (const auto& f : fields) {
    w.Key(f.key.data(), static_cast<rapidjson::SizeType>(f.key.size()));
    if (f.quoted) {
      w.String(may_hold_url_password(f.value) ? redact_url_passwords(f.value) : f.value);
    } else {
      w.RawValue(f.value.data(), f.value.size(), rapidjson::kNumberType);
    }
  }
  w.EndObject();
  std::string line(buf.GetString(), buf.GetSize());
  line += '\n';
  return line;
}

}  // namespace

void configure_logging(LogLevel level, LogFormat format) {
  g_level.store(level);
  g_format.store(format);
}

bool parse_log_level(std::string_view text, LogLevel& out) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

bool parse_log_format(std::string_view text, LogFormat& out) {
  if (text == "text") {
    out = LogFormat::kText;
  } else if (text == "json") {
    out = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

bool Logger::enabled(LogLevel level) const {
  return level >= g_level.load();
}

void Logger::write(LogLevel level, std::string_view msg, LogFields fields) const {
  if (!enabled(level)) return;
  std::string line = g_format.load() == LogFormat::kJson
                         ? format_json(level, component_, msg, fields)
                         : format_text(level, component_, msg, fields);
  std::lock_guard lock(g_write_mutex);
  // One write(2) per line so lines from several threads never interleave.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace auditrelay
