// Tells the service manager how the agent is doing (systemd Type=notify, sd_notify(3)): READY=1
// once inputs and outputs are up, RELOADING=1 / READY=1 around a reload, STOPPING=1, STATUS=
// lines, and WATCHDOG=1 pings from a loop timer when the unit sets WatchdogSec=. Not under
// systemd (no NOTIFY_SOCKET) every call returns at once and no timer is created.
#pragma once

#include <uv.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "agent/core/log.h"
#include "agent/loop/handle.h"

namespace auditrelay {

class ServiceNotify {
 public:
  // Reads NOTIFY_SOCKET once, here. `loop` runs the watchdog timer and must outlive this.
  explicit ServiceNotify(uv_loop_t* loop);
  ~ServiceNotify();
  ServiceNotify(const ServiceNotify&) = delete;
  ServiceNotify& operator=(const ServiceNotify&) = delete;

  // Whether a service manager listens (NOTIFY_SOCKET was set at construction).
  bool enabled() const { return enabled_; }

  void ready();
  // A reload begins; call ready() when it is over (successful or not).
  void reloading();
  void stopping();
  // One line shown by `systemctl status`.
  void status(std::string_view text);

  // When the service manager asks for pings (WatchdogSec=; sd_watchdog_enabled(3)), sends
  // WATCHDOG=1 now and then every half interval from a timer on the loop, so a stuck loop
  // gets the service restarted. The timer does not keep the loop alive. Returns the interval
  // systemd expects, zero when none (or not under systemd).
  std::chrono::microseconds start_watchdog();
  void stop_watchdog();

 private:
  void send(const std::string& state);

  uv_loop_t* loop_;
  bool enabled_;
  bool warned_ = false;  // a failed notification is logged once
  std::unique_ptr<loop::Timer> watchdog_;
  Logger log_{"service"};
};

}  // namespace auditrelay
