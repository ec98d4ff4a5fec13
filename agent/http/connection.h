// One accepted connection of http::Server (internal): parses requests as they arrive, hands
// them to the handler, writes the answers back in request order and enforces Server::Limits.
// With TLS, a TlsSession sits between the socket and the parser (connection_tls.cpp); without,
// the bytes read go straight to the parser.
#pragma once

#include <http_parser.h>
#include <uv.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "agent/http/server.h"

namespace auditrelay::http {

class TlsSession;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server* server, uint64_t id);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_tcp_t* tcp() { return &tcp_; }
  // Accepts the pending connection of `listener` (tcp() already initialised): from here on
  // the connection owns itself until libuv's close callbacks.
  void start(uv_stream_t* listener);
  // Forgets the server (it is going away) and closes the socket without answering.
  void detach_and_close();
  // Closes the socket now; pending answers are not written. Idempotent.
  void close_now();

 private:
  // tests/fuzz/http_request_fuzz.cpp feeds bytes to a connection over a socketpair, without
  // a listener to accept from.
  friend class ConnectionTestPeer;

  // One request in flight, in arrival order; its answer goes out when it reaches the front.
  struct Pending {
    uint64_t seq = 0;
    bool expect_continue = false;  // send "100 Continue" once this is the oldest request
    bool continue_sent = false;
    bool keep_alive = true;
    bool head = false;  // HEAD: headers only
    bool ready = false;
    Response response;
  };
  struct Parsed {
    uint64_t seq;
    Request request;
  };
  // What the connection's one timer is counting down to.
  enum class Deadline { kNone, kHeaders, kIdle, kLinger };

  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t length);
  static int on_header_field(http_parser* p, const char* at, size_t length);
  static int on_header_value(http_parser* p, const char* at, size_t length);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t length);
  static int on_message_complete(http_parser* p);
  static const http_parser_settings kSettings;

  static constexpr size_t kReadBufferSize = 256 * 1024;

  void on_read(ssize_t nread, const char* data);
  void on_peer_eof();
  void parse(const char* data, size_t length);
  bool count_header_bytes(size_t length);  // false once over max_header_bytes
  // Answers `status` after the requests before it and closes: the connection reads no more.
  void refuse(int status, std::string reason);
  void dispatch();
  void respond(uint64_t seq, Response response);
  void respond_internal_error(uint64_t seq, const std::string& what);
  void arm(Deadline deadline, uint64_t ms);  // ms == 0: no deadline
  void on_deadline();
  // Starts the idle countdown once nothing is in progress on a kept-alive connection.
  void update_idle();
  void flush();
  // Queues `chunks` on the socket; false if that failed and the connection is closed.
  bool write(std::vector<std::string> chunks);

  // TLS (connection_tls.cpp).
  void on_tls_read(const char* data, size_t length);
  // Replaces the plaintext chunks with their ciphertext; false on a failure (then closing).
  bool encrypt(std::vector<std::string>& chunks);
  // Writes what the session has for the socket (handshake, alerts); false once closed.
  bool send_tls_output();
  // Writes close_notify ahead of the FIN; false if there was none to write.
  bool send_close_notify();
  // A handshake or protocol failure: no more answers; the alert (if any) goes out, then close.
  void fail_tls();
  // Closes once every queued write is done: gracefully (FIN, then a short linger reading
  // and discarding what the client still sends, so that it is not reset before it read the
  // answer) or abruptly (a dropped answer).
  void close_after_writes(bool graceful);
  void maybe_finish_close();

  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  Deadline deadline_ = Deadline::kNone;
  int open_handles_ = 0;  // freed once libuv closed both tcp_ and timer_
  http_parser parser_{};
  Server* server_;
  Server::Limits limits_;
  uint64_t id_;
  std::string peer_;  // the client's IP address, read once at accept
  std::shared_ptr<Connection> self_;
  std::unique_ptr<char[]> read_buffer_;
  std::unique_ptr<TlsSession> tls_;  // null: plaintext

  Request current_;
  bool in_header_field_ = false;
  bool reading_headers_ = false;  // a request's first byte seen, its headers not complete
  uint64_t header_bytes_ = 0;
  int refusal_ = 0;           // the status a callback stopped the parser for (400, 413, 431)
  bool mid_message_ = false;  // headers seen, body not complete: pending_.back() is its slot
  uint64_t next_seq_ = 0;
  std::vector<Parsed> parsed_;
  std::deque<Pending> pending_;
  bool dispatching_ = false;

  bool discarding_ = false;  // no more requests are read on this connection
  bool closing_ = false;
  bool graceful_ = true;
  bool shutting_down_ = false;
  bool peer_eof_ = false;
  bool closed_ = false;
  int writes_in_flight_ = 0;
};

}  // namespace auditrelay::http
