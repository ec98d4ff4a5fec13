#include "agent/core/service_notify.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace std::chrono_literals;

namespace {

// The service manager's end: a Unix datagram socket in a temp dir, named by NOTIFY_SOCKET
// while the test runs.
class NotifySocket {
 public:
  NotifySocket() {
    const std::string path = (dir_ / "notify").string();
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(addr.sun_path));
    path.copy(addr.sun_path, path.size());
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~NotifySocket() {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    close(fd_);
  }
  int fd() const { return fd_; }

  // The next message, if one is waiting (sd_notify has sent it before returning).
  std::optional<std::string> receive() const {
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  test::TempDir dir_;
  int fd_ = -1;
};

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);  // the close callbacks
    uv_loop_close(&loop);
  }
};

}  // namespace

TEST_CASE("ready, reloading, status and stopping reach NOTIFY_SOCKET") {
  NotifySocket sock;
  Loop loop;
  ServiceNotify notify(&loop.loop);
  REQUIRE(notify.enabled());

  notify.ready();
  CHECK(sock.receive() == "READY=1");
  notify.status("delivering\nto es");
  CHECK(sock.receive() == "STATUS=delivering to es");
  notify.reloading();
  auto reloading = sock.receive();
  REQUIRE(reloading.has_value());
  CHECK(reloading->starts_with("RELOADING=1\nMONOTONIC_USEC="));
  notify.ready();
  CHECK(sock.receive() == "READY=1");
  notify.stopping();
  CHECK(sock.receive() == "STOPPING=1");
  CHECK(sock.receive() == std::nullopt);
}

TEST_CASE("with WATCHDOG_USEC, WATCHDOG=1 comes at once and then every half interval") {
  NotifySocket sock;
  setenv("WATCHDOG_USEC", "40000", 1);  // 40 ms: a ping every 20 ms
  unsetenv("WATCHDOG_PID");
  Loop loop;
  auto notify = std::make_unique<ServiceNotify>(&loop.loop);
  CHECK(notify->start_watchdog() == 40ms);
  CHECK(sock.receive() == "WATCHDOG=1");

  // Wait for two more pings from the timer, with a deadline; the watchdog timer alone does
  // not keep the loop running.
  struct State {
    const NotifySocket* sock;
    std::vector<std::string> messages;
    uv_poll_t poll{};
    uv_timer_t deadline{};
  } state{&sock};
  uv_poll_init(&loop.loop, &state.poll, sock.fd());
  state.poll.data = &state;
  uv_timer_init(&loop.loop, &state.deadline);
  state.deadline.data = &state;
  auto finish = [](State* s) {
    uv_poll_stop(&s->poll);
    uv_timer_stop(&s->deadline);
  };
  uv_poll_start(&state.poll, UV_READABLE, [](uv_poll_t* p, int, int) {
    auto* s = static_cast<State*>(p->data);
    while (auto m = s->sock->receive())
      s->messages.push_back(*m);
    if (s->messages.size() >= 2) {
      uv_poll_stop(&s->poll);
      uv_timer_stop(&s->deadline);
    }
  });
  uv_timer_start(
      &state.deadline,
      [](uv_timer_t* t) {
        auto* s = static_cast<State*>(t->data);
        uv_poll_stop(&s->poll);
      },
      10000, 0);
  uv_run(&loop.loop, UV_RUN_DEFAULT);
  finish(&state);
  REQUIRE(state.messages.size() >= 2);
  CHECK(state.messages[0] == "WATCHDOG=1");
  CHECK(state.messages[1] == "WATCHDOG=1");

  notify->stop_watchdog();
  notify.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&state.poll), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&state.deadline), nullptr);
  uv_run(&loop.loop, UV_RUN_DEFAULT);
}

TEST_CASE("without NOTIFY_SOCKET nothing is sent and no watchdog runs") {
  NotifySocket sock;  // listening, but not named in the environment
  unsetenv("NOTIFY_SOCKET");
  setenv("WATCHDOG_USEC", "40000", 1);
  Loop loop;
  ServiceNotify notify(&loop.loop);
  CHECK_FALSE(notify.enabled());
  notify.ready();
  notify.status("running");
  notify.stopping();
  CHECK(notify.start_watchdog() == 0us);
  CHECK(sock.receive() == std::nullopt);
}

TEST_CASE("a watchdog meant for another process is not started") {
  NotifySocket sock;
  setenv("WATCHDOG_USEC", "40000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  Loop loop;
  ServiceNotify notify(&loop.loop);
  CHECK(notify.start_watchdog() == 0us);
  CHECK(sock.receive() == std::nullopt);
  unsetenv("WATCHDOG_PID");
}
