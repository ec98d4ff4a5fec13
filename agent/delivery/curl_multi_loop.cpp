#include "agent/delivery/curl_multi_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <new>
#include <string>
#include <utility>

#include "agent/core/log.h"

namespace auditrelay::delivery {
namespace {

// A broken invariant (STYLE.md §7): say what, then stop loudly.
[[noreturn]] void fail_invariant(const char* what, int code) {
  Logger("http_client").error("broken invariant; aborting", {{"what", what}, {"code", code}});
  std::abort();
}

CURLM* new_multi() {
  // Once per process and never undone: curl_global_init is not safe to run concurrently
  // with other curl calls in every libcurl build, and a function-local static runs once.
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) fail_invariant("curl_global_init", global);
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) throw std::bad_alloc();
  return multi;
}

}  // namespace

MultiTimer::MultiTimer(uv_loop_t* loop, CurlMulti* owner, Fn fn) : owner_(owner), fn_(fn) {
  if (int rc = uv_timer_init(loop, raw()); rc != 0) fail_invariant("uv_timer_init", rc);
  mark_initialized();
}

void MultiTimer::start(uint64_t timeout_ms) {
  uv_timer_start(
      raw(),
      [](uv_timer_t* h) noexcept {
        if (auto* t = self<MultiTimer>(h)) (t->owner_->*(t->fn_))();
      },
      timeout_ms, 0);
}

SocketPoll::SocketPoll(uv_loop_t* loop, curl_socket_t fd, CurlMulti* owner)
    : fd_(fd), owner_(owner) {
  // Fails only if the descriptor is already watched on this loop; but curl reports a
  // socket's removal (which closes its poll) before it closes or reuses the descriptor.
  if (int rc = uv_poll_init_socket(loop, raw(), fd); rc != 0)
    fail_invariant("uv_poll_init_socket", rc);
  mark_initialized();
}

void SocketPoll::watch(int uv_events) {
  parked_ = false;
  if (uv_events == events_) return;
  events_ = uv_events;
  if (uv_events == 0) {
    uv_poll_stop(raw());
    return;
  }
  int rc = uv_poll_start(raw(), uv_events, [](uv_poll_t* h, int status, int events) noexcept {
    auto* p = self<SocketPoll>(h);
    if (p == nullptr) return;
    if (p->parked_) {
      p->watch(0);
      p->parked_ = true;
      return;
    }
    // Passes the descriptor by value: curl may remove (and so destroy) this poll meanwhile.
    p->owner_->on_socket_ready(p->fd_, status, events);
  });
  if (rc != 0) fail_invariant("uv_poll_start", rc);
}

CurlMulti::CurlMulti(uv_loop_t* loop, HttpClientOptions options)
    : loop_(loop),
      options_(std::move(options)),
      multi_(new_multi()),
      timer_(loop, this, &CurlMulti::on_timeout),
      failed_timer_(loop, this, &CurlMulti::on_failed_early) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::on_timer_change);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  // Requests beyond the per-host limit wait in curl's queue for a connection to free up;
  // finished connections stay open (keep-alive) up to the same number.
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_connections_per_host);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.max_connections_per_host);
}

CurlMulti::~CurlMulti() {
  // Aborted transfers get no callback. Removing one may close its connection, which curl
  // reports through on_socket: the polls are still there to be closed.
  for (auto& [transfer, owned] : transfers_)
    curl_multi_remove_handle(multi_, transfer->easy.get());
  transfers_.clear();
  failed_early_.clear();
  // Stop watching the pooled connections before curl_multi_cleanup closes their sockets
  // (libuv must not poll a closed descriptor), and tell nobody about that closing.
  polls_.clear();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, nullptr);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, nullptr);
  curl_multi_cleanup(multi_);
}

void CurlMulti::send(HttpRequest request, HttpClient::Callback done) {
  auto owned = std::make_unique<Transfer>();
  Transfer* t = owned.get();
  t->done = std::move(done);
  t->body = std::move(request.body);
  if (!spare_handles_.empty()) {
    t->easy = std::move(spare_handles_.back());
    spare_handles_.pop_back();
  }
  std::string error = prepare_transfer(*t, request, options_);
  if (error.empty()) {
    CURL* easy = t->easy.get();
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &CurlMulti::open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &CurlMulti::close_socket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
    transfers_.emplace(t, std::move(owned));
    // The transfer starts when curl's timer (set to 0 here) fires on the loop, so `done` is
    // never called from inside send().
    CURLMcode rc = curl_multi_add_handle(multi_, t->easy.get());
    if (rc == CURLM_OK) return;
    error = curl_multi_strerror(rc);
    auto it = transfers_.find(t);
    owned = std::move(it->second);
    transfers_.erase(it);
  }
  t->response.error = "cannot start the request: " + error;
  failed_early_.push_back(std::move(owned));
  failed_timer_.start(0);
}

int CurlMulti::on_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* self_ptr,
                         void* socketp) noexcept {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  auto* poll = static_cast<SocketPoll*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    // (curl forgets the assigned pointer by itself.)
    auto it = self->polls_.find(fd);
    if (it == self->polls_.end()) return 0;
    if (self->connections_.count(fd) != 0) {
      it->second->park();  // close_socket closes the poll before the socket
    } else {
      // curl may close this socket itself next, and its number be reused by the next one:
      // stop watching it now.
      self->polls_.erase(it);
    }
    return 0;
  }
  if (poll == nullptr) {
    // A socket curl did not watch until now, or a pooled connection's (parked).
    auto it = self->polls_.find(fd);
    if (it == self->polls_.end()) {
      it = self->polls_.emplace(fd, std::make_unique<SocketPoll>(self->loop_, fd, self)).first;
    }
    poll = it->second.get();
    curl_multi_assign(self->multi_, fd, poll);
  }
  poll->watch(((what & CURL_POLL_IN) != 0 ? UV_READABLE : 0) |
              ((what & CURL_POLL_OUT) != 0 ? UV_WRITABLE : 0));
  return 0;
}

int CurlMulti::on_timer_change(CURLM* /*multi*/, long timeout_ms, void* self_ptr) noexcept {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  // -1 cancels; 0 means "now", but curl must not be called from within its own callback, so
  // that too goes through the loop.
  if (timeout_ms < 0) {
    self->timer_.stop();
  } else {
    self->timer_.start(static_cast<uint64_t>(timeout_ms));
  }
  return 0;
}

curl_socket_t CurlMulti::open_socket(void* self_ptr, curlsocktype /*purpose*/,
                                     curl_sockaddr* address) noexcept {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  // What curl does without this callback, plus close-on-exec.
  curl_socket_t fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd == CURL_SOCKET_BAD) return fd;
  try {
    self->connections_.insert(fd);
  } catch (const std::bad_alloc&) {
    ::close(fd);
    return CURL_SOCKET_BAD;
  }
  return fd;
}

int CurlMulti::close_socket(void* self_ptr, curl_socket_t fd) noexcept {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  // The poll first: libuv must not watch a closed descriptor, whose number the next socket
  // (of any handle on the loop) may get.
  self->polls_.erase(fd);
  self->connections_.erase(fd);
  return ::close(fd);
}

void CurlMulti::on_socket_ready(curl_socket_t fd, int status, int events) {
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;  // curl reads the socket's error itself
  } else {
    if ((events & UV_READABLE) != 0) flags |= CURL_CSELECT_IN;
    if ((events & UV_WRITABLE) != 0) flags |= CURL_CSELECT_OUT;
  }
  int running = 0;
  curl_multi_socket_action(multi_, fd, flags, &running);
  process_completed();  // last: a callback may destroy this
}

void CurlMulti::on_timeout() {
  int running = 0;
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  process_completed();  // last: a callback may destroy this
}

void CurlMulti::on_failed_early() {
  std::vector<std::unique_ptr<Transfer>> failed;
  failed.swap(failed_early_);
  deliver(std::move(failed));
}

void CurlMulti::process_completed() {
  std::vector<std::unique_ptr<Transfer>> done;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode result = msg->data.result;  // `msg` does not outlive curl_multi_remove_handle
    void* priv = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    auto it = transfers_.find(static_cast<Transfer*>(priv));
    if (it == transfers_.end()) fail_invariant("unknown transfer completed", result);
    complete_transfer(*it->second, result);
    curl_multi_remove_handle(multi_, easy);
    // Reset now: the handle's options point into this transfer, which is about to go.
    if (spare_handles_.size() < static_cast<size_t>(options_.max_connections_per_host)) {
      curl_easy_reset(easy);
      spare_handles_.push_back(std::move(it->second->easy));
    }
    it->second->easy.reset();
    done.push_back(std::move(it->second));
    transfers_.erase(it);
  }
  deliver(std::move(done));
}

void CurlMulti::deliver(std::vector<std::unique_ptr<Transfer>> done) {
  std::weak_ptr<char> alive = alive_;
  awaiting_callback_ += done.size();
  for (auto& t : done) {
    if (alive.expired()) return;  // the client was destroyed: no more callbacks
    --awaiting_callback_;
    HttpClient::Callback callback = std::move(t->done);
    HttpResponse response = std::move(t->response);
    t.reset();
    callback(std::move(response));
  }
}

}  // namespace auditrelay::delivery
