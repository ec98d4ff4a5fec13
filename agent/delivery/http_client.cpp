#include "agent/delivery/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <exception>
#include <optional>
#include <unordered_map>
#include <utility>

#include "agent/core/log.h"
#include "agent/loop/handle.h"

namespace auditrelay::delivery {
namespace {

struct EasyCleanup {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistCleanup {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlCleanup {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;
using HeaderList = std::unique_ptr<curl_slist, SlistCleanup>;
using UrlHandle = std::unique_ptr<CURLU, UrlCleanup>;

// A broken invariant (STYLE.md §7): say what, then stop loudly.
[[noreturn]] void fail_invariant(const char* what, int code) {
  Logger("http_client").error("broken invariant; aborting", {{"what", what}, {"code", code}});
  std::abort();
}

bool append(HeaderList& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (head == nullptr) return false;
  (void)list.release();  // `head` is the same list, one entry longer (or a new one)
  list.reset(head);
  return true;
}

// The value of a "Name: value" header line if its name is `name` (field names are
// case-insensitive, https://www.rfc-editor.org/rfc/rfc9110#name-field-names).
std::optional<std::string_view> header_value(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return std::nullopt;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  for (size_t i = 0; i < name.size(); ++i)
    if (lower(line[i]) != lower(name[i])) return std::nullopt;
  std::string_view value = line.substr(name.size() + 1);
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!value.empty() && blank(value.front()))
    value.remove_prefix(1);
  while (!value.empty() && blank(value.back()))
    value.remove_suffix(1);
  return value;
}

bool has_header(const std::vector<std::string>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const std::string& h) { return header_value(h, name).has_value(); });
}

// TLS `server_name`: the URL's host is replaced by server_name, so that curl sends it in SNI
// and verifies the certificate against it, and CURLOPT_CONNECT_TO sends the connection to the
// URL's real host and port. CONNECT_TO rather than CURLOPT_RESOLVE because the real host may
// itself be a DNS name, which RESOLVE (a fixed address) cannot express. The Host header keeps
// the URL's authority, as with SNI overrides elsewhere (Go's tls.Config.ServerName, Vector).
struct Retarget {
  std::string url;
  std::string connect_to;   // "server_name:port:host:port"
  std::string host_header;  // "Host: host[:port]"
};

std::optional<Retarget> retarget(const std::string& url, const std::string& server_name,
                                 std::string& error) {
  UrlHandle u(curl_url());
  if (!u) {
    error = "out of memory";
    return std::nullopt;
  }
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK) {
    error = std::string("invalid URL: ") + curl_url_strerror(rc);
    return std::nullopt;
  }
  auto part = [&](CURLUPart which, unsigned flags) -> std::optional<std::string> {
    char* text = nullptr;
    if (curl_url_get(u.get(), which, &text, flags) != CURLUE_OK) return std::nullopt;
    std::string copy(text);
    curl_free(text);
    return copy;
  };
  auto scheme = part(CURLUPART_SCHEME, 0);
  auto host = part(CURLUPART_HOST, 0);
  auto port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  auto explicit_port = part(CURLUPART_PORT, 0);
  if (!scheme || !host || !port) {
    error = "invalid URL: no host";
    return std::nullopt;
  }
  // server_name is a TLS setting: plain http has no SNI and no certificate.
  if (*scheme != "https" || *host == server_name) return Retarget{url, "", ""};
  if (curl_url_set(u.get(), CURLUPART_HOST, server_name.c_str(), 0) != CURLUE_OK) {
    error = "invalid tls.server_name";
    return std::nullopt;
  }
  auto rewritten = part(CURLUPART_URL, 0);
  if (!rewritten) {
    error = "invalid tls.server_name";
    return std::nullopt;
  }
  return Retarget{*rewritten, server_name + ":" + *port + ":" + *host + ":" + *port,
                  "Host: " + *host + (explicit_port ? ":" + *explicit_port : "")};
}

// One request from send() to its callback.
struct Transfer {
  std::shared_ptr<const std::string> body;  // curl reads it in place (CURLOPT_POSTFIELDS)
  HeaderList headers;
  HeaderList connect_to;
  EasyHandle easy;  // declared after what it points to, so it is cleaned up first
  HttpClient::Callback done;
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};
};

// curl calls these from C: an exception must not unwind through it, so running out of
// memory fails the transfer (a short count is CURLE_WRITE_ERROR) instead.
size_t on_body(char* data, size_t size, size_t count, void* transfer) noexcept {
  try {
    static_cast<Transfer*>(transfer)->response.body.append(data, size * count);
  } catch (const std::exception&) {
    return 0;
  }
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* transfer) noexcept {
  HttpResponse& r = static_cast<Transfer*>(transfer)->response;
  std::string_view line(data, size * count);
  try {
    if (line.starts_with("HTTP/")) {
      // A status line starts a response: only the final one's headers count, not those of
      // an interim "100 Continue".
      r.retry_after.clear();
      r.content_type.clear();
    } else if (auto value = header_value(line, "Retry-After")) {
      r.retry_after = *value;
    } else if (auto type = header_value(line, "Content-Type")) {
      r.content_type = *type;
    }
  } catch (const std::exception&) {
    return 0;
  }
  return size * count;
}

// Fills in the response once curl is done with the transfer.
void complete(Transfer& t, CURLcode result) {
  HttpResponse& r = t.response;
  double seconds = 0;
  curl_easy_getinfo(t.easy.get(), CURLINFO_TOTAL_TIME, &seconds);
  r.seconds = seconds;
  if (result == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &status);
    r.status = status;
    return;
  }
  // No (complete) response: what arrived of one is not to be trusted.
  r.status = 0;
  r.body.clear();
  r.retry_after.clear();
  r.content_type.clear();
  r.error = curl_easy_strerror(result);
  if (t.error[0] != '\0') r.error += std::string(": ") + t.error;
}

class CurlMulti;

// A uv_timer that calls a CurlMulti member. Not a loop::Timer: curl restarts its timer from
// within the timer's own callback, which must not replace a std::function while it runs.
class MultiTimer : public loop::Handle<uv_timer_t> {
 public:
  using Fn = void (CurlMulti::*)();
  MultiTimer(uv_loop_t* loop, CurlMulti* owner, Fn fn) : owner_(owner), fn_(fn) {
    if (int rc = uv_timer_init(loop, raw()); rc != 0) fail_invariant("uv_timer_init", rc);
    mark_initialized();
  }
  void start(uint64_t timeout_ms) {
    uv_timer_start(
        raw(),
        [](uv_timer_t* h) noexcept {
          if (auto* t = self<MultiTimer>(h)) (t->owner_->*(t->fn_))();
        },
        timeout_ms, 0);
  }
  void stop() { uv_timer_stop(raw()); }

 private:
  CurlMulti* owner_;
  Fn fn_;
};

// Watches one of curl's sockets for the events curl asks for.
class SocketPoll : public loop::Handle<uv_poll_t> {
 public:
  SocketPoll(uv_loop_t* loop, curl_socket_t fd, CurlMulti* owner);
  void watch(int uv_events);

 private:
  curl_socket_t fd_;
  CurlMulti* owner_;
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

  std::string prepare(Transfer& t, const HttpRequest& request);
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
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> transfers_;
  std::vector<std::unique_ptr<Transfer>> failed_early_;
  size_t awaiting_callback_ = 0;  // completed, their callbacks not called yet
  // Expires with this object: a callback may destroy the client that is calling it.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

SocketPoll::SocketPoll(uv_loop_t* loop, curl_socket_t fd, CurlMulti* owner)
    : fd_(fd), owner_(owner) {
  // Fails only if the descriptor is already watched on this loop; but curl reports a
  // socket's removal (which closes its poll) before it closes or reuses the descriptor.
  if (int rc = uv_poll_init_socket(loop, raw(), fd); rc != 0)
    fail_invariant("uv_poll_init_socket", rc);
  mark_initialized();
}

void SocketPoll::watch(int uv_events) {
  int rc = uv_poll_start(raw(), uv_events, [](uv_poll_t* h, int status, int events) noexcept {
    // Passes the descriptor by value: curl may remove (and so destroy) this poll meanwhile.
    if (auto* p = self<SocketPoll>(h)) p->owner_->on_socket_ready(p->fd_, status, events);
  });
  if (rc != 0) fail_invariant("uv_poll_start", rc);
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
  std::string error = prepare(*t, request);
  if (error.empty()) {
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

std::string CurlMulti::prepare(Transfer& t, const HttpRequest& request) {
  t.easy.reset(curl_easy_init());
  if (!t.easy) return "out of memory";
  const TlsSettings& tls = options_.tls;
  std::string url = request.url;
  if (!tls.server_name.empty()) {
    std::string error;
    auto target = retarget(request.url, tls.server_name, error);
    if (!target) return error;
    url = std::move(target->url);
    if (!target->connect_to.empty() && !append(t.connect_to, target->connect_to))
      return "out of memory";
    if (!target->host_header.empty() && !has_header(request.headers, "Host") &&
        !append(t.headers, target->host_header))
      return "out of memory";
  }

  // The body, sent from the caller's buffer without a copy. POST and PUT without one still
  // send "Content-Length: 0" (some servers answer 411 otherwise); GET, HEAD and DELETE don't.
  const std::string& method = request.method;
  const char* body = t.body ? t.body->data() : nullptr;
  if (body == nullptr && (method == "POST" || method == "PUT" || method == "PATCH")) body = "";
  curl_off_t body_size = t.body ? static_cast<curl_off_t>(t.body->size()) : 0;

  for (const std::string& h : request.headers) {
    // curl sends header lines as given: a line break would smuggle in another header (or
    // request). The message names no value, which may be a credential.
    if (h.find_first_of("\r\n") != std::string::npos) return "a header contains a line break";
    if (!append(t.headers, h)) return "out of memory";
  }
  // curl would wait for "100 Continue" before a large body: a round trip for nothing, and
  // a second's stall with servers that never send it.
  if (!append(t.headers, "Expect:")) return "out of memory";
  // CURLOPT_POSTFIELDS implies a form Content-Type; a body declared without one has none.
  if (body != nullptr && !has_header(request.headers, "Content-Type") &&
      !append(t.headers, "Content-Type:"))
    return "out of memory";

  CURL* e = t.easy.get();
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value);
  };
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PRIVATE, static_cast<void*>(&t));
  set(CURLOPT_ERRORBUFFER, t.error);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  set(CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: this is a multi-threaded process
  // Don't wait on a hung DNS resolver thread when an aborted transfer is cleaned up.
  set(CURLOPT_QUICK_EXIT, 1L);
  set(CURLOPT_FOLLOWLOCATION, 0L);  // a redirect is the output's verdict to make
  // Probes idle pooled connections, so a peer or middlebox that vanished is noticed.
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_TCP_KEEPIDLE, 60L);
  set(CURLOPT_TCP_KEEPINTVL, 15L);
  uint64_t timeout_ms = request.timeout_ms != 0 ? request.timeout_ms : options_.request_timeout_ms;
  set(CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::min<uint64_t>(options_.connect_timeout_ms, LONG_MAX)));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(std::min<uint64_t>(timeout_ms, LONG_MAX)));
  set(CURLOPT_ACCEPT_ENCODING, "");  // offer every encoding curl can decode, and decode it
  set(CURLOPT_WRITEFUNCTION, &on_body);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
  set(CURLOPT_HEADERFUNCTION, &on_header);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
  set(CURLOPT_HTTPHEADER, t.headers.get());
  if (t.connect_to) set(CURLOPT_CONNECT_TO, t.connect_to.get());

  if (body != nullptr) {
    set(CURLOPT_POSTFIELDSIZE_LARGE, body_size);
    set(CURLOPT_POSTFIELDS, body);
    if (method != "POST") set(CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method == "GET") {
    set(CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);  // a custom HEAD would wait for a body that never comes
  } else {
    set(CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  set(CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
  if (!tls.ca_file.empty()) {
    set(CURLOPT_CAINFO, tls.ca_file.c_str());
    // Instead of the system's CAs, not besides them: the default CA directory goes too.
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
  }
  if (!tls.cert_file.empty()) set(CURLOPT_SSLCERT, tls.cert_file.c_str());
  if (!tls.key_file.empty()) set(CURLOPT_SSLKEY, tls.key_file.c_str());
  return rc == CURLE_OK ? "" : curl_easy_strerror(rc);
}

int CurlMulti::on_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* self_ptr,
                         void* socketp) noexcept {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  auto* poll = static_cast<SocketPoll*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    // curl may close the socket next, and its number be reused by the next one: stop
    // watching it now. (curl forgets the assigned pointer by itself.)
    self->polls_.erase(fd);
    return 0;
  }
  if (poll == nullptr) {
    // A new socket. An entry under its number would be a stale one: close that first.
    self->polls_.erase(fd);
    auto fresh = std::make_unique<SocketPoll>(self->loop_, fd, self);
    poll = fresh.get();
    self->polls_.emplace(fd, std::move(fresh));
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
    complete(*it->second, result);
    curl_multi_remove_handle(multi_, easy);
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

}  // namespace

struct HttpClient::Impl {
  Impl(uv_loop_t* loop, HttpClientOptions options) : multi(loop, std::move(options)) {}
  CurlMulti multi;
};

HttpClient::HttpClient(uv_loop_t* loop, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(loop, std::move(options))) {}

HttpClient::~HttpClient() = default;

void HttpClient::send(HttpRequest request, Callback done) {
  impl_->multi.send(std::move(request), std::move(done));
}

size_t HttpClient::in_flight() const {
  return impl_->multi.in_flight();
}

}  // namespace auditrelay::delivery
