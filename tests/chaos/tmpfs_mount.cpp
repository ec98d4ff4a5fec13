#include "tests/chaos/tmpfs_mount.h"

#include <unistd.h>

#include "tests/support/process.h"

namespace auditrelay::chaos {
namespace {

// mount(8) and umount(8) where Debian has them.
std::string tool(const std::string& name) {
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"}) {
    std::string path = dir + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

}  // namespace

TmpfsMount::TmpfsMount(const std::string& size) {
  std::filesystem::create_directories(path());
  const std::string mount = tool("mount");
  if (mount.empty()) {
    error_ = "no mount(8) on this machine";
    return;
  }
  if (::geteuid() != 0) {
    error_ = "mounting a tmpfs needs root (running as uid " + std::to_string(::geteuid()) + ")";
    return;
  }
  test::Process p(
      {mount, "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", path().string()},
      dir_ / "mount.out", dir_ / "mount.err");
  std::optional<int> code = p.wait(std::chrono::seconds(30));
  if (code != 0) {
    error_ = "mount -t tmpfs failed: " + test::read_file(dir_ / "mount.err");
    return;
  }
  mounted_ = true;
}

TmpfsMount::~TmpfsMount() {
  if (!mounted_) return;
  test::Process p({tool("umount"), "-l", path().string()}, dir_ / "umount.out",
                  dir_ / "umount.err");
  p.wait(std::chrono::seconds(30));
}

}  // namespace auditrelay::chaos
