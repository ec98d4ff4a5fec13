// Test support: a fresh temporary directory per test, removed at the end.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace auditrelay::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Whole-file helpers.
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view content);
void append_file(const std::filesystem::path& path, std::string_view content);

// ../shared (beside the checkout), and the source tree.
std::filesystem::path shared_dir();
std::filesystem::path source_dir();

}  // namespace auditrelay::test
