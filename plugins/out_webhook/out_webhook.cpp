// The webhook output: governance events (MAPPING.md §6), one per POST to `url`, signed to the
// Standard Webhooks specification. The event filter, the envelope, the signature and the
// response classification live in their own files; this one wires them to the HTTP client.
//
// The webhook-id header is the event id, which encode() writes as the envelope's first member;
// send() reads it back from that prefix of its own output instead of carrying it beside the
// body, because the BatchDriver hands send() only the body (the same one again on a retry, or
// one encoded anew after a restart): the id is then the same on every attempt by
// construction. The timestamp and signature are made at each attempt, over the exact bytes
// sent.
//
// 410 Gone disables the endpoint until the agent is reloaded: the receiver said it wants no
// more events, so sending on would only be refused; the events are dead-lettered (and can be
// replayed from there) and the output is marked by auditrelay_webhook_endpoint_gone.
#include "plugins/out_webhook/out_webhook.h"

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/delivery/batch_output.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_client.h"
#include "agent/loop/handle.h"
#include "plugins/out_webhook/signature.h"
#include "plugins/out_webhook/webhook_event.h"
#include "plugins/out_webhook/webhook_response.h"
#include "plugins/out_webhook/webhook_settings.h"

namespace auditrelay {
namespace {

using delivery::HttpResponse;
using delivery::Outcome;
using delivery::Verdict;

// The event id at the start of an envelope from append_envelope(): {"id":"<id>",...}. Only
// this prefix of our own output is read, not JSON in general: an id that JSON had to escape
// (quotes, backslashes, control characters) shows a backslash and is refused, like any byte
// that cannot go into an HTTP header as is.
std::optional<std::string_view> envelope_id(std::string_view body) {
  constexpr std::string_view kPrefix = R"({"id":")";
  if (body.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  body.remove_prefix(kPrefix.size());
  const size_t end = body.find('"');
  if (end == std::string_view::npos || end == 0) return std::nullopt;
  std::string_view id = body.substr(0, end);
  for (char c : id) {
    if (c < 0x20 || c > 0x7e || c == '\\') return std::nullopt;
  }
  return id;
}

Outcome rejected(int status, std::string error_type, std::string reason) {
  Outcome outcome;
  outcome.verdict = Verdict::kRejected;
  outcome.status = status;
  outcome.error_type = std::move(error_type);
  outcome.reason = std::move(reason);
  return outcome;
}

class WebhookOutput : public delivery::BatchOutput {
 public:
  WebhookOutput(const Settings& settings, const OutputContext& context,
                delivery::DeliveryOptions options)
      : url_(settings.string("url")),
        events_(webhook::wanted_events(settings)),
        headers_(webhook::request_headers(settings)),
        signer_(webhook::signing_secrets(settings)),
        retryable_(options.retryable),
        log_("output[" + context.name + "]"),
        client_(context.loop, options.http),
        answer_timer_(context.loop) {
    gone_gauge_ = &context.metrics->gauge(
        "auditrelay_webhook_endpoint_gone",
        "1 once the webhook endpoint answered 410 Gone (disabled until the agent is reloaded)",
        {{"output", context.name}});
    gone_gauge_->set(0);
    if (context.health != nullptr) {
      gone_health_ =
          &context.health->condition("output " + context.name, Health::Kind::kOutputDisabled);
    }
  }

  bool wants(const DocumentView& document) const override {
    std::optional<webhook::EventType> type = webhook::event_type_of(document.json);
    return type && events_.contains(*type);
  }

  size_t max_items_per_request() const override { return 1; }

  std::string encode(const DocumentBatch& batch, std::span<const uint32_t> items) override {
    if (items.size() != 1) {
      throw std::logic_error("the webhook output encodes one event per request, not " +
                             std::to_string(items.size()));
    }
    const DocumentView document = batch[items[0]];
    std::string body;
    if (!webhook::append_envelope(document.id, document.json, body)) {
      // wants() said it had an event type: only a document whose JSON is broken somewhere
      // wants() did not read gets here (the driver dead-letters it with this reason).
      throw std::runtime_error("the document is not a JSON object with a governance event type");
    }
    return body;
  }

  void send(std::shared_ptr<const std::string> body, size_t /*count*/,
            std::function<void(Outcome)> done, std::function<void()> /*answered*/) override {
    if (gone_) {
      answer_later(std::move(done), rejected(410, webhook::kEndpointGone, "endpoint gone (410)"));
      return;
    }
    std::optional<std::string_view> id = envelope_id(*body);
    if (!id) {
      answer_later(std::move(done),
                   rejected(0, "invalid_event_id",
                            "the record id cannot be sent as a webhook-id header (it holds "
                            "quotes, backslashes, control or non-ASCII characters)"));
      return;
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    delivery::HttpRequest request;
    request.url = url_;
    request.headers = headers_;
    request.headers.push_back("webhook-id: " + std::string(*id));
    request.headers.push_back("webhook-timestamp: " + std::to_string(now));
    request.headers.push_back("webhook-signature: " + signer_.sign(*id, now, *body));
    request.body = std::move(body);
    client_.send(std::move(request), [this, done = std::move(done)](HttpResponse response) {
      Outcome outcome = webhook::classify_webhook_response(response, retryable_);
      if (outcome.error_type == webhook::kEndpointGone) endpoint_gone();
      done(std::move(outcome));
    });
  }

 private:
  void endpoint_gone() {
    if (gone_) return;
    gone_ = true;
    gone_gauge_->set(1);
    if (gone_health_ != nullptr) {
      gone_health_->set(
          "the endpoint answered 410 Gone; its events are dead-lettered until "
          "the agent is reloaded");
    }
    log_.error(
        "the endpoint answered 410 Gone: it is disabled until the agent is reloaded; events are "
        "dead-lettered");
  }

  // The driver expects `done` later, never from inside send(): answers without a request
  // wait for the next loop iteration (1 ms: libuv before 1.45 would run a 0 ms timer started
  // from a timer callback in the same pass).
  void answer_later(std::function<void(Outcome)> done, Outcome outcome) {
    answers_.emplace_back(std::move(done), std::move(outcome));
    if (answer_timer_.active()) return;
    answer_timer_.start(1, 0, [this] {
      std::vector<std::pair<std::function<void(Outcome)>, Outcome>> answers;
      answers.swap(answers_);
      std::weak_ptr<char> alive = alive_;
      for (auto& [answer, verdict] : answers) {
        answer(std::move(verdict));
        if (alive.expired()) return;  // the last answer may end a drain, destroying this
      }
    });
  }

  std::string url_;
  webhook::EventTypes events_;
  std::vector<std::string> headers_;
  const webhook::Signer signer_;
  delivery::RetryableStatuses retryable_;
  Logger log_;
  delivery::HttpClient client_;
  bool gone_ = false;
  Gauge* gone_gauge_ = nullptr;
  Health::Condition* gone_health_ = nullptr;  // "output <name>" disabled
  std::vector<std::pair<std::function<void(Outcome)>, Outcome>> answers_;
  loop::Timer answer_timer_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

std::unique_ptr<delivery::BatchOutput> create(const Settings& settings, OutputContext context) {
  return std::make_unique<WebhookOutput>(settings, context,
                                         delivery::delivery_options(settings, context.state_dir));
}

}  // namespace

const OutputPlugin kWebhookOutput{
    .type = "webhook",
    .description =
        "POSTs governance events (blocked, warned, rewritten or allowed requests) to a URL, "
        "one per request, signed to the Standard Webhooks specification",
    .settings = webhook::kSettings,
    .validate = webhook::validate,
    .create = nullptr,
    .create_batch = create,
    .probe = nullptr,
};

}  // namespace auditrelay
