#include "agent/delivery/output_dead_letter.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <system_error>

#include "agent/core/timestamp.h"

namespace auditrelay::delivery {
namespace fs = std::filesystem;

void append_output_dead_letter(const DeadLetterItem& item, std::string& out) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto string = [&w](const char* key, std::string_view value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  string("time", utc_timestamp_now());
  string("output", item.output);
  string("id", item.document.id);
  string("index", item.document.index);
  w.Key("status");
  w.Int(item.status);
  string("error_type", item.error_type);
  string("reason", item.reason);
  w.Key("attempts");
  w.Uint(item.attempts);
  string("first_attempt", utc_timestamp(item.first_attempt));
  string("last_attempt", utc_timestamp(item.last_attempt));
  w.Key("document");
  // The document is JSON the normalizer wrote; embedded as is.
  w.RawValue(item.document.json.data(), item.document.json.size(), rapidjson::kObjectType);
  w.EndObject();
  out.append(buffer.GetString(), buffer.GetSize());
  out.push_back('\n');
}

OutputDeadLetterFile::OutputDeadLetterFile(DeadLetterOptions options)
    : options_(std::move(options)), file_(options_.path) {
  std::error_code ec;
  auto size = fs::file_size(options_.path, ec);
  if (!ec) size_ = size;
}

std::string OutputDeadLetterFile::rotate() {
  file_ = AppendFile();  // closes the current file
  std::error_code ec;
  const std::string base = options_.path.string();
  fs::remove(base + "." + std::to_string(options_.max_files), ec);
  for (unsigned i = options_.max_files; i > 1; --i) {
    fs::rename(base + "." + std::to_string(i - 1), base + "." + std::to_string(i), ec);
  }
  fs::rename(options_.path, base + ".1", ec);
  file_ = AppendFile(options_.path);
  size_ = 0;
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return "cannot rotate " + base + ": " + ec.message();
  }
  return "";
}

std::string OutputDeadLetterFile::write(std::string_view lines) {
  std::lock_guard lock(mutex_);
  if (size_ > 0 && size_ + lines.size() > options_.max_bytes) {
    if (std::string error = rotate(); !error.empty()) return error;
  }
  std::string error = file_.append(lines, /*sync=*/true);
  if (error.empty()) size_ += lines.size();
  return error;
}

}  // namespace auditrelay::delivery
