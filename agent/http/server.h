// An HTTP/1.1 server on a libuv loop, for the HTTP input and the monitoring endpoint (and the
// fake receivers of the tests). It parses with http_parser, keeps connections alive, answers
// pipelined requests in order, bounds what one client can hold (Server::Limits), and speaks
// HTTPS when given a TlsContext (agent/http/tls.h).
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace auditrelay::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string url;     // path + query as received, e.g. "/_bulk?filter_path=errors"
  std::string path() const;
  // The percent-decoded value of a query parameter, "" if absent.
  std::string query_param(std::string_view name) const;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(std::string_view name) const;  // case-insensitive, "" if absent
  std::string body;                                 // raw bytes as received (NOT decompressed)
  uint64_t connection_id = 0;                       // 1, 2, ... per accepted connection
  std::string peer;                                 // the client's IP address, "" if unknown
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added for you
  std::string body;
  bool close = false;  // answer, then close the connection gracefully
  bool drop = false;   // close the connection without answering
};

class Connection;
class TlsContext;

// Runs on the given libuv loop; the handler is called on that loop's thread. Destroy it on
// that thread too, then let the loop run so that libuv can finish closing the sockets.
class Server {
 public:
  // What one client may hold. 0 means "no limit" for every field.
  struct Limits {
    // Connections open at once; one more is accepted and closed at once, without an answer
    // (an HTTP client then retries or fails fast rather than wait in the listen backlog).
    uint64_t max_connections = 256;
    // From a request's first byte (from the connection's opening for its first request) to the
    // end of its headers; past it the request is answered 408 and the connection closed, so a
    // client sending headers a byte at a time cannot hold a connection. Over TLS the first
    // request's time includes the handshake; a handshake not done by then is closed unanswered.
    uint64_t header_timeout_ms = 10'000;
    // A keep-alive connection with no request in progress and nothing to write is closed.
    uint64_t idle_timeout_ms = 60'000;
    // The request line and header fields of one request; above it: 431, then close.
    // (http_parser's own limit, 80 KiB, answers 431 too.)
    uint64_t max_header_bytes = 64 * 1024;
    // A Content-Length above it is answered 413 without reading the body, a chunked body
    // growing above it likewise; the connection is then closed.
    uint64_t max_body_bytes = 0;
  };

  // `respond` must be called once, on the loop thread, now or later; responses go out in
  // request order per connection. Calls after the connection closed are ignored.
  using Respond = std::function<void(Response)>;
  using Handler = std::function<void(const Request&, Respond respond)>;

  Server(uv_loop_t* loop, Handler handler);  // with the default Limits
  Server(uv_loop_t* loop, Handler handler, Limits limits);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves HTTPS with `context` (see TlsContext::load) on the connections accepted from then
  // on; null: plaintext HTTP, the default. A failed handshake, or plaintext sent to a TLS
  // server, closes the connection (logged at debug level).
  void use_tls(std::shared_ptr<const TlsContext> context) { tls_ = std::move(context); }
  // Told the status of every answer the server gives by itself, without the handler: 400
  // (malformed), 408 (headers too slow), 413 (max_body_bytes), 431 (headers too large).
  void on_refused(std::function<void(int status)> refused) { on_refused_ = std::move(refused); }
  bool uses_tls() const { return tls_ != nullptr; }

  // Port 0 = ephemeral; returns the bound port. Throws std::runtime_error. Ignores SIGPIPE
  // process-wide, as a server writing to clients that may vanish must.
  int listen(const std::string& host, int port);
  // Closes the listening socket (clients then get "connection refused") and every open
  // connection. listen() may be called again afterwards, on the same port.
  void stop_listening();
  // Closes the listening socket only: open connections stay, so answers still due go out.
  void close_listener();
  // Thread-safe counters: connections served, and those closed at once (max_connections).
  uint64_t connections_accepted() const { return connections_accepted_.load(); }
  size_t connections_open() const { return connections_.size(); }  // on the loop thread
  uint64_t connections_refused() const { return connections_refused_.load(); }

 private:
  friend class Connection;
  static void on_connection(uv_stream_t* listener, int status);
  void forget(Connection* connection) { connections_.erase(connection); }
  void close_connections();

  uv_loop_t* loop_;
  Handler handler_;
  std::function<void(int status)> on_refused_;
  Limits limits_;
  std::shared_ptr<const TlsContext> tls_;
  uv_tcp_t* listener_ = nullptr;
  std::unordered_set<Connection*> connections_;
  uint64_t next_connection_id_ = 0;
  std::atomic<uint64_t> connections_accepted_{0};
  std::atomic<uint64_t> connections_refused_{0};
};

}  // namespace auditrelay::http
