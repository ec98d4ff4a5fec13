// One accepted connection of HttpServer (internal): parses requests as they arrive, hands
// them to the handler and writes the answers back in request order.
#pragma once

#include <http_parser.h>
#include <uv.h>

#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "tests/fakes/http_server.h"

namespace auditrelay::fakes {

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(HttpServer* server, uint64_t id);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  uv_tcp_t* tcp() { return &tcp_; }
  // Accepts the pending connection of `listener` (tcp() already initialised): from here on
  // the connection owns itself until libuv's close callback.
  void start(uv_stream_t* listener);
  // Forgets the server (it is going away) and closes the socket without answering.
  void detach_and_close();
  // Closes the socket now; pending answers are not written. Idempotent.
  void close_now();

 private:
  // One request in flight, in arrival order; its answer goes out when it reaches the front.
  struct Pending {
    uint64_t seq = 0;
    bool expect_continue = false;  // send "100 Continue" once this is the oldest request
    bool continue_sent = false;
    bool keep_alive = true;
    bool head = false;  // HEAD: headers only
    bool ready = false;
    FakeResponse response;
  };
  struct Parsed {
    uint64_t seq;
    FakeRequest request;
  };
  struct Timer;

  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t length);
  static int on_header_field(http_parser* p, const char* at, size_t length);
  static int on_header_value(http_parser* p, const char* at, size_t length);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t length);
  static int on_message_complete(http_parser* p);
  static const http_parser_settings kSettings;

  void on_read(ssize_t nread, const char* data);
  void parse(const char* data, size_t length);
  void dispatch();
  void respond(uint64_t seq, FakeResponse response);
  void respond_internal_error(uint64_t seq, const std::string& what);
  void start_timer(uint64_t delay_ms, uint64_t seq, FakeResponse response, bool linger);
  void on_timer(Timer* timer);
  void flush();
  // Closes once every queued write is done: gracefully (FIN, then a short linger reading
  // and discarding what the client still sends, so that it is not reset before it read the
  // answer) or abruptly (the dropped-connection fault).
  void close_after_writes(bool graceful);
  void maybe_finish_close();

  uv_tcp_t tcp_{};
  http_parser parser_{};
  HttpServer* server_;
  uint64_t id_;
  std::shared_ptr<HttpConnection> self_;
  std::unique_ptr<char[]> read_buffer_;

  FakeRequest current_;
  bool in_header_field_ = false;
  bool mid_message_ = false;  // headers seen, body not complete: pending_.back() is its slot
  uint64_t next_seq_ = 0;
  std::vector<Parsed> parsed_;
  std::deque<Pending> pending_;
  std::unordered_set<Timer*> timers_;
  bool dispatching_ = false;

  bool discarding_ = false;  // no more requests are read on this connection
  bool closing_ = false;
  bool graceful_ = true;
  bool shutting_down_ = false;
  bool peer_eof_ = false;
  bool closed_ = false;
  int writes_in_flight_ = 0;
};

}  // namespace auditrelay::fakes
