// The sd_notify protocol with the real binary: it gets a NOTIFY_SOCKET of its own (and a
// watchdog interval), as systemd gives a Type=notify service, and must say READY=1 once up,
// ping the watchdog, say RELOADING=1 then READY=1 around a reload, and STOPPING=1 on SIGTERM.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/integration/agent_process.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;

namespace {

// The service manager's end: a Unix datagram socket in the test's directory.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(addr.sun_path));
    path.copy(addr.sun_path, path.size());
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~NotifySocket() { close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // Every message received so far, oldest first.
  const std::vector<std::string>& messages() {
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd_, buf, sizeof(buf), 0)) >= 0)
      received_.emplace_back(buf, static_cast<size_t>(n));
    return received_;
  }
  // Whether a message starting with `prefix` came at or after index `from`; sets `at` to it.
  bool has(const std::string& prefix, size_t from = 0, size_t* at = nullptr) {
    const auto& all = messages();
    for (size_t i = from; i < all.size(); ++i) {
      if (all[i].rfind(prefix, 0) == 0) {
        if (at != nullptr) *at = i;
        return true;
      }
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> received_;
};

}  // namespace

TEST_CASE("sd_notify: READY=1 once up, watchdog pings, RELOADING=1/READY=1 on SIGHUP, STOPPING=1") {
  TempDir dir;
  write_tail_to_file_config(dir);
  write_gateway_records(dir / "in" / "a.jsonl", 10);
  NotifySocket sock((dir / "notify").string());
  Process agent({agent_binary(), "run", "-c", (dir / "agent.yaml").string()}, dir / "agent0.stdout",
                dir / "agent0.stderr",
                {"NOTIFY_SOCKET=" + (dir / "notify").string(), "WATCHDOG_USEC=200000"});

  size_t ready = 0;
  REQUIRE(wait_until([&] { return sock.has("READY=1", 0, &ready); }));
  // Not before the pipeline is up: the start line is logged just before.
  CHECK(read_file(dir / "agent0.stderr").find("engine: started") != std::string::npos);
  // Pings every half interval (100 ms): a few arrive while we wait for one after READY=1.
  REQUIRE(wait_until([&] { return sock.has("WATCHDOG=1", ready + 1); }));

  agent.signal(SIGHUP);
  size_t reloading = 0;
  REQUIRE(wait_until([&] { return sock.has("RELOADING=1", 0, &reloading); }));
  REQUIRE(wait_until([&] { return sock.has("READY=1", reloading + 1); }));
  CHECK(read_file(dir / "agent0.stderr").find("engine: reloaded") != std::string::npos);

  agent.signal(SIGTERM);
  REQUIRE(wait_until([&] { return sock.has("STOPPING=1"); }));
  CHECK(agent.wait(std::chrono::seconds(30)) == 0);
  CHECK(read_lines(dir / "out.ndjson").size() == 10);
}
