// The HTTP client of every network output: libcurl's multi interface driven by the libuv loop
// (curl_multi_socket_action with one uv_poll per socket and one uv_timer), so requests of all
// outputs share the agent's single loop thread. Connections are reused (HTTP/1.1 keep-alive);
// TLS verifies the server by default.
//
// Everything here runs on the loop thread. Request bodies arrive ready to send (a caller that
// wants gzip compresses on a worker thread with gzip_compress() and adds the header).
// Header values may hold credentials: nothing here logs them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::delivery {

// The `tls:` mapping of an output.
struct TlsSettings {
  bool verify = true;       // verify the server's certificate and host name
  std::string ca_file;      // trust these CAs instead of the system's
  std::string cert_file;    // client certificate (mutual TLS)
  std::string key_file;     // its key
  std::string server_name;  // name to send in SNI and to verify, when the URL's host differs
};

struct HttpClientOptions {
  uint64_t connect_timeout_ms = 10'000;
  uint64_t request_timeout_ms = 30'000;  // whole request, unless the request sets its own
  long max_connections_per_host = 8;     // also the keep-alive pool size
  TlsSettings tls;
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;         // "Name: value"
  std::shared_ptr<const std::string> body;  // may be null (no body)
  uint64_t timeout_ms = 0;                  // 0: the client's request_timeout_ms
};

struct HttpResponse {
  long status = 0;           // 0 when no response arrived (see error)
  std::string error;         // transport failure (connect, timeout, TLS...), empty otherwise
  std::string body;          // the response body (decoded if the server compressed it)
  std::string retry_after;   // the Retry-After header, if any
  std::string content_type;  // the Content-Type header, if any
  std::string location;      // the Location header, if any (redirects are never followed)
  double seconds = 0;        // time the request took
};

class HttpClient {
 public:
  using Callback = std::function<void(HttpResponse)>;

  HttpClient(uv_loop_t* loop, HttpClientOptions options);
  // Aborts the requests in flight without calling their callbacks.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a request; `done` is called on the loop thread exactly once, later (never from
  // inside send()).
  void send(HttpRequest request, Callback done);
  size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// gzip (RFC 1952) of `data` with zlib at `level` (1 fastest .. 9 smallest), for
// Content-Encoding: gzip request bodies. Pure; call it on a worker thread.
std::string gzip_compress(std::string_view data, int level = 1);

}  // namespace auditrelay::delivery
