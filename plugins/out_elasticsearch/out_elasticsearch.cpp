// The elasticsearch output: _bulk `create` requests with the record id as _id, so whatever is
// sent twice (after a retry, a crash or a restart) is indexed once. Encoding, response
// classification and host selection live in their own files; this one wires them to the
// HTTP client.
#include "plugins/out_elasticsearch/out_elasticsearch.h"

#include "agent/delivery/batch_output.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_client.h"
#include "plugins/out_elasticsearch/bulk_request.h"
#include "plugins/out_elasticsearch/bulk_response.h"
#include "plugins/out_elasticsearch/es_probe.h"
#include "plugins/out_elasticsearch/es_settings.h"
#include "plugins/out_elasticsearch/host_pool.h"

namespace auditrelay {
namespace {

using delivery::HttpResponse;
using delivery::Outcome;

// A node is set aside when it did not answer, or answered as a proxy does for a dead node.
bool node_failed(const HttpResponse& response) {
  return response.status == 0 || response.status == 502 || response.status == 503 ||
         response.status == 504;
}

class ElasticsearchOutput : public delivery::BatchOutput {
 public:
  ElasticsearchOutput(const Settings& settings, uv_loop_t* loop, delivery::DeliveryOptions options)
      : hosts_(settings.strings("hosts")),
        index_(settings.has("index") ? settings.string("index") : ""),
        gzip_(settings.string("compression") == "gzip"),
        headers_(elasticsearch::request_headers(settings)),
        retryable_(options.retryable),
        client_(loop, options.http) {}

  std::string encode(const DocumentBatch& batch, std::span<const uint32_t> items) override {
    std::string body;
    elasticsearch::append_bulk_body(batch, items, index_, body);
    if (gzip_) return delivery::gzip_compress(body);
    return body;
  }

  void send(std::shared_ptr<const std::string> body, size_t count,
            std::function<void(Outcome)> done,
            std::function<void()> /*answered: a 200 means indexed*/) override {
    size_t host = hosts_.pick(elasticsearch::HostPool::Clock::now());
    delivery::HttpRequest request;
    request.url =
        hosts_.url(host) + "/_bulk?filter_path=" + std::string(elasticsearch::kBulkFilterPath);
    request.headers = headers_;
    request.body = std::move(body);
    client_.send(std::move(request),
                 [this, host, count, done = std::move(done)](HttpResponse response) {
                   if (node_failed(response)) {
                     hosts_.failed(host, elasticsearch::HostPool::Clock::now());
                   } else {
                     hosts_.succeeded(host);
                   }
                   done(elasticsearch::classify_bulk_response(response, count, retryable_));
                 });
  }

 private:
  elasticsearch::HostPool hosts_;
  std::string index_;
  bool gzip_;
  std::vector<std::string> headers_;
  delivery::RetryableStatuses retryable_;
  delivery::HttpClient client_;
};

std::unique_ptr<delivery::BatchOutput> create(const Settings& settings, OutputContext context) {
  return std::make_unique<ElasticsearchOutput>(
      settings, context.loop, delivery::delivery_options(settings, context.state_dir));
}

}  // namespace

const OutputPlugin kElasticsearchOutput{
    .type = "elasticsearch",
    .description =
        "Indexes documents into Elasticsearch data streams with _bulk create "
        "(the record id as _id: exactly once)",
    .settings = elasticsearch::kSettings,
    .validate = elasticsearch::validate,
    .create = nullptr,
    .create_batch = create,
    .probe = elasticsearch::probe,
};

}  // namespace auditrelay
