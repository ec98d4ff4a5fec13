#include <cstdlib>
#include <exception>
#include <memory>

#include "agent/core/log.h"
#include "agent/loop/handle.h"

namespace auditrelay::loop {
namespace {

// An exception must never unwind through libuv (STYLE.md §7): the failures of the world are
// handled inside the callbacks, so one that escapes is a broken invariant. Say what it was,
// then stop loudly.
template <typename Fn>
void run_callback(const char* where, Fn&& fn) noexcept {
  try {
    fn();
  } catch (const std::exception& e) {
    Logger("loop").error("exception escaped a callback; aborting",
                         {{"where", where}, {"error", e.what()}});
    std::abort();
  } catch (...) {
    Logger("loop").error("exception escaped a callback; aborting", {{"where", where}});
    std::abort();
  }
}

}  // namespace

Timer::Timer(uv_loop_t* loop) {
  uv_timer_init(loop, raw());
  mark_initialized();
}

void Timer::start(uint64_t timeout_ms, uint64_t repeat_ms, std::function<void()> fn) {
  if (raw() == nullptr) return;
  fn_ = std::move(fn);
  uv_timer_start(
      raw(),
      [](uv_timer_t* h) {
        if (auto* t = self<Timer>(h)) run_callback("timer", t->fn_);
      },
      timeout_ms, repeat_ms);
}

void Timer::stop() {
  if (raw() != nullptr) uv_timer_stop(raw());
}

Signal::Signal(uv_loop_t* loop) {
  uv_signal_init(loop, raw());
  mark_initialized();
}

void Signal::start(int signum, std::function<void(int)> fn) {
  fn_ = std::move(fn);
  uv_signal_start(
      raw(),
      [](uv_signal_t* h, int sig) {
        if (auto* s = self<Signal>(h)) run_callback("signal", [&] { s->fn_(sig); });
      },
      signum);
}

FsEvent::FsEvent(uv_loop_t* loop) {
  uv_fs_event_init(loop, raw());
  mark_initialized();
}

int FsEvent::start(const std::string& path,
                   std::function<void(const char* filename, int events)> fn) {
  fn_ = std::move(fn);
  return uv_fs_event_start(
      raw(),
      [](uv_fs_event_t* h, const char* filename, int events, int /*status*/) {
        if (auto* e = self<FsEvent>(h)) run_callback("fs_event", [&] { e->fn_(filename, events); });
      },
      path.c_str(), 0);
}

namespace {

struct WorkRequest {
  uv_work_t req{};
  std::function<void()> work;
  std::function<void(const std::string&)> after;
  std::string error;
};

}  // namespace

void queue_work(uv_loop_t* loop, std::function<void()> work,
                std::function<void(const std::string& error)> after) {
  auto* w = new WorkRequest{};
  w->req.data = w;
  w->work = std::move(work);
  w->after = std::move(after);
  int rc = uv_queue_work(
      loop, &w->req,
      [](uv_work_t* req) {
        auto* wr = static_cast<WorkRequest*>(req->data);
        try {
          wr->work();
        } catch (const std::exception& e) {
          wr->error = e.what();
          if (wr->error.empty()) wr->error = "unknown error";
        } catch (...) {
          wr->error = "unknown error";
        }
      },
      [](uv_work_t* req, int status) {
        std::unique_ptr<WorkRequest> wr(static_cast<WorkRequest*>(req->data));
        if (status == UV_ECANCELED && wr->error.empty()) wr->error = "cancelled";
        run_callback("after_work", [&] { wr->after(wr->error); });
      });
  // uv_queue_work only fails on a null callback: a broken invariant.
  if (rc != 0) std::abort();
}

}  // namespace auditrelay::loop
