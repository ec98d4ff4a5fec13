#include "agent/delivery/http_client.h"

#include <utility>

#include "agent/delivery/curl_multi_loop.h"

namespace auditrelay::delivery {

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
