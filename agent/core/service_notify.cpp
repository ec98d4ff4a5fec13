#include "agent/core/service_notify.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace auditrelay {

ServiceNotify::ServiceNotify(uv_loop_t* loop)
    : loop_(loop), enabled_(std::getenv("NOTIFY_SOCKET") != nullptr) {}

ServiceNotify::~ServiceNotify() {
  stop_watchdog();
}

void ServiceNotify::ready() {
  if (enabled_) send("READY=1");
}

void ServiceNotify::reloading() {
  if (!enabled_) return;
  // systemd 253+ (Type=notify-reload) wants the reload's start on CLOCK_MONOTONIC with it;
  // older versions ignore the field.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void ServiceNotify::stopping() {
  if (enabled_) send("STOPPING=1");
}

void ServiceNotify::status(std::string_view text) {
  if (!enabled_) return;
  // One assignment per line: a newline in the text would start another one.
  std::string line = "STATUS=";
  for (char c : text)
    line += c == '\n' ? ' ' : c;
  send(line);
}

std::chrono::microseconds ServiceNotify::start_watchdog() {
  if (!enabled_) return std::chrono::microseconds(0);
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::chrono::microseconds(0);
  const uint64_t every_ms = std::max<uint64_t>(usec / 2000u, 1u);
  if (watchdog_ == nullptr) {
    watchdog_ = std::make_unique<loop::Timer>(loop_);
    watchdog_->unref();
  }
  send("WATCHDOG=1");
  watchdog_->start(every_ms, every_ms, [this] { send("WATCHDOG=1"); });
  log_.debug("watchdog pings", {{"interval_ms", every_ms}});
  return std::chrono::microseconds(usec);
}

void ServiceNotify::stop_watchdog() {
  if (watchdog_ == nullptr) return;
  watchdog_->close();
  watchdog_.reset();
}

void ServiceNotify::send(const std::string& state) {
  const int r = sd_notify(0, state.c_str());
  if (r > 0 || warned_) return;
  warned_ = true;
  log_.warn("could not notify the service manager",
            {{"state", state.substr(0, state.find('\n'))},
             {"error", r < 0 ? std::strerror(-r) : "NOTIFY_SOCKET not set"}});
}

}  // namespace auditrelay
