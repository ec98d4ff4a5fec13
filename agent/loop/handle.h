// Small RAII wrappers over libuv handles. The uv handle lives on the heap and is freed in
// its close callback, so a wrapper may be destroyed at any time: close() is idempotent and
// callbacks never reach a destroyed wrapper. Callbacks must not throw (STYLE.md §7).
#pragma once

#include <uv.h>

#include <functional>
#include <string>

namespace auditrelay::loop {

template <typename UvType>
class Handle {
 public:
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  // Stops the handle; the memory is released by libuv's close callback.
  void close() {
    if (handle_ == nullptr) return;
    handle_->data = nullptr;
    auto* raw = reinterpret_cast<uv_handle_t*>(handle_);
    if (initialized_ && !uv_is_closing(raw)) {
      uv_close(raw, [](uv_handle_t* h) { delete reinterpret_cast<UvType*>(h); });
    } else if (!initialized_) {
      delete handle_;
    }
    handle_ = nullptr;
  }
  bool active() const {
    return handle_ != nullptr && uv_is_active(reinterpret_cast<const uv_handle_t*>(handle_));
  }
  // Lets the loop exit while this handle is still open (a background timer, say).
  void unref() {
    if (handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
  }

 protected:
  Handle() : handle_(new UvType{}) { handle_->data = this; }
  ~Handle() { close(); }

  UvType* raw() { return handle_; }
  void mark_initialized() { initialized_ = true; }
  template <typename Self>
  static Self* self(UvType* h) {
    return static_cast<Self*>(h->data);
  }

 private:
  UvType* handle_;
  bool initialized_ = false;
};

class Timer : public Handle<uv_timer_t> {
 public:
  explicit Timer(uv_loop_t* loop);
  // Calls `fn` after `timeout_ms`, then every `repeat_ms` if non-zero. Restarting replaces.
  void start(uint64_t timeout_ms, uint64_t repeat_ms, std::function<void()> fn);
  void stop();

 private:
  std::function<void()> fn_;
};

class Signal : public Handle<uv_signal_t> {
 public:
  explicit Signal(uv_loop_t* loop);
  void start(int signum, std::function<void(int)> fn);

 private:
  std::function<void(int)> fn_;
};

// inotify (on Linux) on a file or a directory; a directory reports changes to its entries.
class FsEvent : public Handle<uv_fs_event_t> {
 public:
  explicit FsEvent(uv_loop_t* loop);
  // Returns 0 or a libuv error code (the path may not exist yet).
  int start(const std::string& path, std::function<void(const char* filename, int events)> fn);

 private:
  std::function<void(const char*, int)> fn_;
};

// Runs `work` on libuv's thread pool, then `after` on the loop thread with the error text of
// an exception `work` threw (empty when it returned normally).
void queue_work(uv_loop_t* loop, std::function<void()> work,
                std::function<void(const std::string& error)> after);

}  // namespace auditrelay::loop
