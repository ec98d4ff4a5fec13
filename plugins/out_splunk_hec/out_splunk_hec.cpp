// The splunk_hec output: JSON events POSTed to <url>/services/collector/event with
// 'Authorization: Splunk <token>'. Encoding and response classification live in their own
// files; this one wires them to the HTTP client. Without indexer acknowledgement (ack: false)
// a 200 means HEC accepted the events; a document sent twice (after a retry or a restart) is
// indexed twice: HEC has no idempotent write.
#include "plugins/out_splunk_hec/out_splunk_hec.h"

#include "agent/delivery/batch_output.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_client.h"
#include "plugins/out_splunk_hec/hec_event.h"
#include "plugins/out_splunk_hec/hec_response.h"
#include "plugins/out_splunk_hec/hec_settings.h"

namespace auditrelay {
namespace {

using delivery::HttpResponse;
using delivery::Outcome;

splunk_hec::EventMetadata metadata(const Settings& settings, const std::string& output_name) {
  splunk_hec::EventMetadata m;
  m.host = settings.has("host") ? settings.string("host") : splunk_hec::machine_hostname();
  // The input a document came from is not known here, so the default names the output.
  m.source = settings.has("source") ? settings.string("source") : "auditrelay:" + output_name;
  m.sourcetype = settings.string("sourcetype");
  m.index = settings.has("index") ? settings.string("index") : "";
  m.fields = settings.strings("fields");
  return m;
}

class SplunkHecOutput : public delivery::BatchOutput {
 public:
  SplunkHecOutput(const Settings& settings, const std::string& name, uv_loop_t* loop,
                  delivery::DeliveryOptions options)
      : url_(splunk_hec::event_url(settings.string("url"))),
        gzip_(settings.string("compression") == "gzip"),
        headers_(splunk_hec::request_headers(settings)),
        encoder_(metadata(settings, name)),
        retryable_(options.retryable),
        client_(loop, options.http) {}

  std::string encode(const DocumentBatch& batch, std::span<const uint32_t> items) override {
    std::string body;
    encoder_.append_body(batch, items, body);
    if (gzip_) return delivery::gzip_compress(body);
    return body;
  }

  void send(std::shared_ptr<const std::string> body, size_t count,
            std::function<void(Outcome)> done) override {
    delivery::HttpRequest request;
    request.url = url_;
    request.headers = headers_;
    request.body = std::move(body);
    client_.send(std::move(request), [this, count, done = std::move(done)](HttpResponse response) {
      done(splunk_hec::classify_hec_response(response, count, retryable_));
    });
  }

 private:
  std::string url_;
  bool gzip_;
  std::vector<std::string> headers_;
  const splunk_hec::EventEncoder encoder_;  // const: encode() runs on worker threads
  delivery::RetryableStatuses retryable_;
  delivery::HttpClient client_;
};

std::unique_ptr<delivery::BatchOutput> create(const Settings& settings, OutputContext context) {
  return std::make_unique<SplunkHecOutput>(settings, context.name, context.loop,
                                           delivery::delivery_options(settings, context.state_dir));
}

}  // namespace

const OutputPlugin kSplunkHecOutput{
    .type = "splunk_hec",
    .description =
        "Sends documents to a Splunk HTTP Event Collector (/services/collector/event) "
        "as JSON events, with indexed fields",
    .settings = splunk_hec::kSettings,
    .validate = splunk_hec::validate,
    .create = nullptr,
    .create_batch = create,
};

}  // namespace auditrelay
