#include "agent/delivery/http_probe.h"

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <utility>

namespace auditrelay::delivery {

BlockingHttpClient::BlockingHttpClient(HttpClientOptions options) {
  if (int rc = uv_loop_init(&loop_); rc != 0)
    throw std::runtime_error(std::string("cannot start an event loop: ") + uv_strerror(rc));
  client_ = std::make_unique<HttpClient>(&loop_, std::move(options));
}

BlockingHttpClient::~BlockingHttpClient() {
  client_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);  // let the client's handles close
  uv_loop_close(&loop_);
}

HttpResponse BlockingHttpClient::send(HttpRequest request) {
  const std::string method = request.method;
  const std::string url = request.url;
  HttpResponse response;
  bool done = false;
  client_->send(std::move(request), [&](HttpResponse r) {
    response = std::move(r);
    done = true;
    // An answer given from a timer callback (a timeout) comes before the poll phase of the
    // same iteration, which would then wait on a kept-alive connection: stop it polling.
    uv_stop(&loop_);
  });
  while (!done) {
    // The client's timer or sockets keep the loop alive until the callback has run.
    if (uv_run(&loop_, UV_RUN_ONCE) == 0 && !done) {
      std::cerr << "auditrelay: broken invariant: the HTTP client stopped without answering "
                << method << " " << display_url(url) << "\n";
      std::abort();
    }
  }
  return response;
}

std::string display_url(std::string url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find('/', start);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at != std::string::npos && at >= start) url.erase(start, at + 1 - start);
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

}  // namespace auditrelay::delivery
