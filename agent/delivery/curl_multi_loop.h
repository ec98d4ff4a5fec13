// The engine of HttpClient: libcurl's multi handle driven by a libuv loop, with one uv_poll
// per socket curl opens and one uv_timer for curl's timeouts. Internal to the HTTP client.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "agent/delivery/curl_transfer.h"
#include "agent/delivery/http_client.h"
#include "agent/loop/handle.h"

namespace auditrelay::delivery {

class CurlMulti;

// A uv_timer that calls a CurlMulti member. Not a loop::Timer: curl restarts its timer from
// within the timer's own callback, which must not replace a std::function while it runs.
class MultiTimer : public loop::Handle<uv_timer_t> {
 public:
  using Fn = void (CurlMulti::*)();
  MultiTimer(uv_loop_t* loop, CurlMulti* owner, Fn fn);
  void start(uint64_t timeout_ms);
  void stop() { uv_timer_stop(raw()); }

 private:
  CurlMulti* owner_;
  Fn fn_;
};

// Watches one of curl's sockets for the events curl asks for.
class SocketPoll : public loop::Handle<uv_poll_t> {
 public:
  SocketPoll(uv_loop_t* loop, curl_socket_t fd, CurlMulti* owner);
  // UV_READABLE | UV_WRITABLE, or 0 to stop. No system call when they are watched already
  // (uv_poll_start always takes the descriptor out of epoll and puts it back).
  void watch(int uv_events);
  // curl no longer watches the socket (its connection waits in curl's pool for the next
  // request) but has not closed it: the poll stays as it is, so that the next request on the
  // connection costs no epoll_ctl. An event meanwhile (the peer closed it) only stops the poll:
  // curl finds the connection dead when it next looks at it, and closes it.
  void park() { parked_ = true; }

 private:
  curl_socket_t fd_;
  CurlMulti* owner_;
  int events_ = 0;  // watched now
  bool parked_ = false;
};

// libcurl's multi handle driven by a libuv loop (the multi_socket API): curl says which
// sockets to watch and when to wake it up, the loop tells curl what happened.
// https://curl.se/libcurl/c/libcurl-multi.html and docs/examples/multi-uv.c
class CurlMulti {
 public:
  CurlMulti(uv_loop_t* loop, HttpClientOptions options);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  void send(HttpRequest request, HttpClient::Callback done);
  size_t in_flight() const { return transfers_.size() + failed_early_.size() + awaiting_callback_; }
  void on_socket_ready(curl_socket_t fd, int status, int events);

 private:
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp) noexcept;
  static int on_timer_change(CURLM* multi, long timeout_ms, void* self) noexcept;
  static curl_socket_t open_socket(void* self, curlsocktype purpose,
                                   curl_sockaddr* address) noexcept;
  static int close_socket(void* self, curl_socket_t fd) noexcept;

  void on_timeout();
  void on_failed_early();
  void process_completed();
  void deliver(std::vector<std::unique_ptr<Transfer>> done);

  uv_loop_t* loop_;
  HttpClientOptions options_;
  CURLM* multi_;
  MultiTimer timer_;
  MultiTimer failed_timer_;  // completes the requests that failed inside send(), via the loop
  std::unordered_map<curl_socket_t, std::unique_ptr<SocketPoll>> polls_;
  // The connections' sockets: opened by open_socket and closed by close_socket, which closes
  // their poll first, so only these may keep a poll while curl does not watch them (park()).
  // Other sockets (the threaded resolver's) curl closes itself: their poll goes when curl
  // stops watching them.
  std::unordered_set<curl_socket_t> connections_;
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> transfers_;
  std::vector<std::unique_ptr<Transfer>> failed_early_;
  size_t awaiting_callback_ = 0;  // completed, their callbacks not called yet
  // Easy handles of finished transfers, reset, for the next ones: setting up a fresh handle
  // costs more than a small request (a webhook's one event) takes to send.
  std::vector<EasyHandle> spare_handles_;
  // Expires with this object: a callback may destroy the client that is calling it.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace auditrelay::delivery
