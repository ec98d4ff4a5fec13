#include "agent/buffer/cursor_store.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "agent/buffer/segment.h"
#include "agent/core/durable_io.h"

namespace auditrelay::buffer {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCursorMagic{"ARC1", 4};
constexpr size_t kCursorBytes = 16;  // magic, u64 next_seq, u32 XXH32 of the 12 bytes before
constexpr std::string_view kCursorSuffix = ".cursor";

bool plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string cursor_file_name(std::string_view output) {
  std::string name;
  for (char c : output) {
    // A leading '.' would make "." or ".." or a hidden file.
    if (plain(c) && !(c == '.' && name.empty())) {
      name += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      name += buf;
    }
  }
  return name + std::string(kCursorSuffix);
}

std::optional<std::string> output_of_cursor_file(std::string_view file_name) {
  if (!file_name.ends_with(kCursorSuffix)) return std::nullopt;
  file_name.remove_suffix(kCursorSuffix.size());
  std::string output;
  for (size_t i = 0; i < file_name.size(); ++i) {
    if (file_name[i] != '%') {
      output += file_name[i];
      continue;
    }
    if (i + 2 >= file_name.size()) return std::nullopt;
    int hi = hex_value(file_name[i + 1]), lo = hex_value(file_name[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    output += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return output;
}

std::string encode_cursor(uint64_t next_seq) {
  std::string out(kCursorBytes, '\0');
  std::copy(kCursorMagic.begin(), kCursorMagic.end(), out.begin());
  for (int i = 0; i < 8; ++i)
    out[4 + i] = static_cast<char>((next_seq >> (8 * i)) & 0xff);
  uint32_t check = XXH32(out.data(), 12, 0);
  for (int i = 0; i < 4; ++i)
    out[12 + i] = static_cast<char>((check >> (8 * i)) & 0xff);
  return out;
}

std::optional<uint64_t> decode_cursor(std::string_view bytes) {
  if (bytes.size() != kCursorBytes || bytes.substr(0, 4) != kCursorMagic) return std::nullopt;
  uint32_t check = 0;
  for (int i = 3; i >= 0; --i)
    check = (check << 8) | static_cast<unsigned char>(bytes[12 + i]);
  if (check != XXH32(bytes.data(), 12, 0)) return std::nullopt;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(bytes[4 + i]);
  return v;
}

CursorRead read_cursor(const fs::path& dir, std::string_view output, uint64_t& next_seq) {
  fs::path path = cursors_dir(dir) / cursor_file_name(output);
  std::error_code ec;
  if (!fs::exists(path, ec)) return CursorRead::kMissing;
  std::string bytes;
  if (!read_whole_file(path, bytes).empty()) return CursorRead::kGarbage;
  if (bytes.empty()) return CursorRead::kEmpty;
  std::optional<uint64_t> v = decode_cursor(bytes);
  if (!v) return CursorRead::kGarbage;
  next_seq = *v;
  return CursorRead::kOk;
}

std::string write_cursor(const fs::path& dir, std::string_view output, uint64_t next_seq) {
  return replace_file_atomically(cursors_dir(dir) / cursor_file_name(output),
                                 encode_cursor(next_seq));
}

std::map<std::string, std::optional<uint64_t>> read_all_cursors(const fs::path& dir) {
  std::map<std::string, std::optional<uint64_t>> out;
  std::error_code ec;
  for (fs::directory_iterator it(cursors_dir(dir), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::optional<std::string> output = output_of_cursor_file(it->path().filename().string());
    if (!output) continue;
    uint64_t v = 0;
    if (read_cursor(dir, *output, v) == CursorRead::kOk) {
      out[*output] = v;
    } else {
      out[*output] = std::nullopt;
    }
  }
  return out;
}

std::vector<std::string> remove_other_cursors(const fs::path& dir,
                                              const std::vector<std::string>& keep) {
  std::vector<std::string> removed;
  std::vector<std::string> keep_files;
  for (const std::string& output : keep)
    keep_files.push_back(cursor_file_name(output));
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (fs::directory_iterator it(cursors_dir(dir), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    bool cursor = name.ends_with(kCursorSuffix);
    if (!cursor && !name.ends_with(".cursor.tmp")) continue;
    if (cursor && std::find(keep_files.begin(), keep_files.end(), name) != keep_files.end()) {
      continue;
    }
    doomed.push_back(it->path());
    if (cursor) removed.push_back(output_of_cursor_file(name).value_or(name));
  }
  for (const fs::path& path : doomed)
    fs::remove(path, ec);
  return removed;
}

}  // namespace auditrelay::buffer
