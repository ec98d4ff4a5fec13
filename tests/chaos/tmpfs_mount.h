// A small tmpfs mounted for a scenario's buffer (a real ENOSPC), unmounted at the end. Needs
// the right to mount (root in CI); error() says why it could not be mounted otherwise.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace auditrelay::chaos {

class TmpfsMount {
 public:
  explicit TmpfsMount(const std::string& size);  // e.g. "1m"
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  const std::string& error() const { return error_; }  // empty when mounted
  std::filesystem::path path() const { return dir_ / "mnt"; }

 private:
  test::TempDir dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace auditrelay::chaos
