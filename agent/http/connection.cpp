#include "agent/http/connection.h"

#include <strings.h>

#include <exception>

#include "agent/core/log.h"
#include "agent/http/tls.h"

namespace auditrelay::http {
namespace {

// How long a gracefully closed connection keeps draining what the client still sends.
constexpr uint64_t kLingerMs = 1000;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool asks_to_close(const Response& response) {
  for (const auto& [name, value] : response.headers)
    if (iequals(name, "Connection") && iequals(value, "close")) return true;
  return false;
}

bool has_header(const Response& response, std::string_view name) {
  for (const auto& header : response.headers)
    if (iequals(header.first, name)) return true;
  return false;
}

std::string serialize_head(const Response& response, bool close) {
  std::string head;
  head.reserve(128);
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += http_status_str(static_cast<http_status>(response.status));
  head += "\r\n";
  for (const auto& [name, value] : response.headers) {
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  // RFC 9110 §8.6: no Content-Length on 1xx and 204 answers.
  bool bodiless = response.status < 200 || response.status == 204;
  if (!bodiless && !has_header(response, "Content-Length")) {
    head += "Content-Length: ";
    head += std::to_string(response.body.size());
    head += "\r\n";
  }
  if (close && !asks_to_close(response)) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

}  // namespace

namespace {

struct Write {
  uv_write_t request{};
  Connection* connection = nullptr;
  std::vector<std::string> chunks;
};

}  // namespace

Connection::Connection(Server* server, uint64_t id)
    : server_(server), limits_(server->limits_), id_(id) {
  tcp_.data = this;
  timer_.data = this;
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  if (server->tls_ != nullptr) tls_ = std::make_unique<TlsSession>(*server->tls_);
}

Connection::~Connection() = default;

void Connection::start(uv_stream_t* listener) {
  self_ = shared_from_this();
  uv_timer_init(tcp_.loop, &timer_);
  open_handles_ = 2;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) {
    close_now();
    return;
  }
  uv_tcp_nodelay(&tcp_, 1);
  sockaddr_storage peer{};
  int length = sizeof(peer);
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
    char name[INET6_ADDRSTRLEN] = {};
    int rc = peer.ss_family == AF_INET6
                 ? uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&peer), name, sizeof name)
                 : uv_ip4_name(reinterpret_cast<sockaddr_in*>(&peer), name, sizeof name);
    if (rc == 0) peer_ = name;
  }
  // The first request's headers are due from now; without that limit, the connection idles.
  if (limits_.header_timeout_ms > 0) {
    arm(Deadline::kHeaders, limits_.header_timeout_ms);
  } else {
    arm(Deadline::kIdle, limits_.idle_timeout_ms);
  }
  read_buffer_ = std::make_unique<char[]>(kReadBufferSize);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<Connection*>(h->data);
        *buf = uv_buf_init(c->read_buffer_.get(), kReadBufferSize);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        static_cast<Connection*>(s->data)->on_read(nread, buf->base);
      });
}

void Connection::detach_and_close() {
  server_ = nullptr;
  close_now();
}

void Connection::close_now() {
  if (closed_) return;
  closed_ = true;
  pending_.clear();
  auto on_closed = [](uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    if (--c->open_handles_ > 0) return;
    if (c->server_ != nullptr) c->server_->forget(c);
    auto last_reference = std::move(c->self_);  // frees the connection on return
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
}

void Connection::on_read(ssize_t nread, const char* data) {
  if (closed_) return;
  if (nread < 0) {
    if (nread != UV_EOF) {
      close_now();
      return;
    }
    on_peer_eof();
    return;
  }
  if (nread == 0 || discarding_) return;
  if (tls_ != nullptr) {
    on_tls_read(data, static_cast<size_t>(nread));
    return;
  }
  parse(data, static_cast<size_t>(nread));
  dispatch();
  flush();
}

void Connection::on_peer_eof() {
  peer_eof_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  // A request cut short by the client's half-close will never be answered.
  if (mid_message_ && !pending_.empty() && !discarding_) pending_.pop_back();
  close_after_writes(true);
  flush();
}

void Connection::refuse(int status, std::string reason) {
  if (server_->on_refused_) server_->on_refused_(status);
  Response answer{.status = status};
  answer.headers.emplace_back("Content-Type", "text/plain");
  answer.body = std::to_string(status) + " " + http_status_str(static_cast<http_status>(status)) +
                ": " + reason + "\n";
  // A request whose headers were complete has its slot already; else it gets one.
  if (!mid_message_ || pending_.empty()) pending_.push_back(Pending{.seq = next_seq_++});
  Pending& slot = pending_.back();
  slot.keep_alive = false;
  slot.expect_continue = false;
  slot.ready = true;
  slot.response = std::move(answer);
  mid_message_ = false;
  reading_headers_ = false;
  discarding_ = true;
  arm(Deadline::kNone, 0);
}

void Connection::dispatch() {
  if (parsed_.empty()) return;
  auto keep_alive = shared_from_this();
  dispatching_ = true;
  std::vector<Parsed> batch;
  batch.swap(parsed_);
  for (auto& [seq, request] : batch) {
    if (closed_ || server_ == nullptr) break;
    Server::Respond respond = [weak = weak_from_this(), seq = seq](Response response) {
      if (auto c = weak.lock()) c->respond(seq, std::move(response));
    };
    try {
      server_->handler_(request, std::move(respond));
    } catch (const std::exception& e) {
      // A handler failed (in tests, a doctest REQUIRE, say): answer 500 rather than let the
      // exception cross libuv.
      Logger("http_server").error("handler threw", {{"error", e.what()}});
      respond_internal_error(seq, e.what());
    } catch (...) {
      respond_internal_error(seq, "unknown exception");
    }
  }
  dispatching_ = false;
}

void Connection::respond_internal_error(uint64_t seq, const std::string& what) {
  Response error{.status = 500};
  error.body = "handler threw: " + what + "\n";
  respond(seq, std::move(error));
}

void Connection::respond(uint64_t seq, Response response) {
  if (closed_ || pending_.empty() || seq < pending_.front().seq) return;
  uint64_t index = seq - pending_.front().seq;
  if (index >= pending_.size()) return;
  Pending& slot = pending_[index];
  if (slot.ready) return;
  slot.ready = true;
  slot.response = std::move(response);
  if (!dispatching_) flush();
}

void Connection::arm(Deadline deadline, uint64_t ms) {
  if (closed_) return;
  if (deadline == Deadline::kNone || ms == 0) {
    uv_timer_stop(&timer_);
    deadline_ = Deadline::kNone;
    return;
  }
  deadline_ = deadline;
  // libuv counts from the loop's cached clock in whole milliseconds, so a timer can fire up to
  // a millisecond early; refresh the clock and add one so a deadline is never shorter.
  uv_update_time(tcp_.loop);
  uv_timer_start(
      &timer_, [](uv_timer_t* h) { static_cast<Connection*>(h->data)->on_deadline(); }, ms + 1, 0);
}

void Connection::on_deadline() {
  Deadline expired = deadline_;
  deadline_ = Deadline::kNone;
  switch (expired) {
    case Deadline::kNone:
      break;
    case Deadline::kHeaders:
      if (closing_) break;  // already on its way out
      if (tls_ != nullptr && !tls_->established()) {
        // No HTTP answer is possible before the handshake.
        Logger("http_server")
            .debug("TLS handshake not complete in time, connection closed", {{"peer", peer_}});
        close_now();
        break;
      }
      refuse(408, "request headers not complete in time");
      flush();
      break;
    case Deadline::kIdle:
      if (!closing_) close_after_writes(true);
      break;
    case Deadline::kLinger:
      close_now();
      break;
  }
}

void Connection::update_idle() {
  if (closed_ || closing_ || reading_headers_ || mid_message_ || !pending_.empty() ||
      writes_in_flight_ > 0) {
    if (deadline_ == Deadline::kIdle) arm(Deadline::kNone, 0);
    return;
  }
  if (deadline_ == Deadline::kNone) arm(Deadline::kIdle, limits_.idle_timeout_ms);
}

void Connection::flush() {
  if (closed_) return;
  std::vector<std::string> chunks;
  while (!pending_.empty()) {
    Pending& p = pending_.front();
    if (!p.ready) {
      if (p.expect_continue && !p.continue_sent) {
        chunks.emplace_back("HTTP/1.1 100 Continue\r\n\r\n");
        p.continue_sent = true;
      }
      break;
    }
    if (p.response.drop) {
      pending_.clear();
      closing_ = true;
      graceful_ = false;
      discarding_ = true;
      break;
    }
    bool close = !p.keep_alive || p.response.close || asks_to_close(p.response);
    chunks.push_back(serialize_head(p.response, close));
    if (!p.head && !p.response.body.empty()) chunks.push_back(std::move(p.response.body));
    pending_.pop_front();
    if (close) {
      pending_.clear();
      closing_ = true;
      discarding_ = true;
      break;
    }
  }
  if (!chunks.empty()) {
    if (tls_ != nullptr && !encrypt(chunks)) return;
    if (!write(std::move(chunks))) return;
  }
  maybe_finish_close();
  update_idle();
}

bool Connection::write(std::vector<std::string> chunks) {
  if (chunks.empty()) return true;
  auto* w = new Write{.connection = this, .chunks = std::move(chunks)};
  std::vector<uv_buf_t> bufs;
  bufs.reserve(w->chunks.size());
  for (auto& c : w->chunks)
    bufs.push_back(uv_buf_init(c.data(), static_cast<unsigned>(c.size())));
  w->request.data = w;
  int rc = uv_write(&w->request, reinterpret_cast<uv_stream_t*>(&tcp_), bufs.data(),
                    static_cast<unsigned>(bufs.size()), [](uv_write_t* req, int status) {
                      auto* write = static_cast<Write*>(req->data);
                      Connection* c = write->connection;
                      delete write;
                      c->writes_in_flight_--;
                      if (status < 0) {
                        c->close_now();
                      } else {
                        c->maybe_finish_close();
                        c->update_idle();
                      }
                    });
  if (rc < 0) {
    delete w;
    close_now();
    return false;
  }
  writes_in_flight_++;
  return true;
}

void Connection::close_after_writes(bool graceful) {
  closing_ = true;
  graceful_ = graceful_ && graceful;
  discarding_ = true;
  maybe_finish_close();
}

void Connection::maybe_finish_close() {
  if (closed_ || !closing_ || shutting_down_ || writes_in_flight_ > 0 || !pending_.empty()) return;
  if (!graceful_ || peer_eof_) {
    close_now();
    return;
  }
  // TLS: close_notify goes first; this runs again once it is written.
  if (tls_ != nullptr && send_close_notify()) return;
  auto* req = new uv_shutdown_t{};
  req->data = this;
  int rc = uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_shutdown_t* r, int st) {
    auto* c = static_cast<Connection*>(r->data);
    delete r;
    if (c->closed_) return;
    if (st < 0 || c->peer_eof_) {
      c->close_now();
    } else {
      c->arm(Deadline::kLinger, kLingerMs);  // EOF from the client closes sooner
    }
  });
  if (rc < 0) {
    delete req;
    close_now();
    return;
  }
  shutting_down_ = true;
}

}  // namespace auditrelay::http
