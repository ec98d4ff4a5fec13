// Synchronous HTTP for commands that check an output's endpoint (`check --connect`): the
// agent's own HttpClient, with the output's timeouts and TLS settings, on a private libuv loop
// that runs until each answer is in. Never use it on the agent's loop thread.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "agent/delivery/http_client.h"

namespace auditrelay::delivery {

// Sends one request at a time and waits for its answer (or the client's timeout).
class BlockingHttpClient {
 public:
  // Throws std::runtime_error when no event loop can be made.
  explicit BlockingHttpClient(HttpClientOptions options);
  ~BlockingHttpClient();
  BlockingHttpClient(const BlockingHttpClient&) = delete;
  BlockingHttpClient& operator=(const BlockingHttpClient&) = delete;

  // Any status is an answer; a transport failure comes back as status 0 with `error` set.
  HttpResponse send(HttpRequest request);

 private:
  uv_loop_t loop_{};
  std::unique_ptr<HttpClient> client_;
};

// `url` as it may be printed: without user:password@ (credentials may be written into a URL)
// and without trailing slashes.
std::string display_url(std::string url);

}  // namespace auditrelay::delivery
