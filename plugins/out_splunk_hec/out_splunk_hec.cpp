// The splunk_hec output: JSON events POSTed to <url>/services/collector/event with
// 'Authorization: Splunk <token>'. Encoding, response classification and the acknowledgement
// bookkeeping live in their own files; this one wires them to the HTTP client and the loop.
//
// Without indexer acknowledgement (ack: false) a 200 means HEC accepted the events. With it,
// the 200 carries an ackId and the batch waits (no longer counting against `concurrency`)
// until a poll of /services/collector/ack says the events are indexed; an ack that does not
// come within ack_timeout sends the events again. Either way a document sent twice (after a
// retry, a restart or an ack timeout) is indexed twice: HEC has no idempotent write.
#include "plugins/out_splunk_hec/out_splunk_hec.h"

#include <algorithm>

#include "agent/delivery/batch_output.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_client.h"
#include "agent/loop/handle.h"
#include "plugins/out_splunk_hec/hec_ack.h"
#include "plugins/out_splunk_hec/hec_event.h"
#include "plugins/out_splunk_hec/hec_probe.h"
#include "plugins/out_splunk_hec/hec_response.h"
#include "plugins/out_splunk_hec/hec_settings.h"

namespace auditrelay {
namespace {

using delivery::HttpResponse;
using delivery::Outcome;
using delivery::Verdict;

// Polls start this soon after a request is answered, and double while nothing is
// acknowledged, up to ack_interval: a quick indexer is not held back a whole interval.
constexpr uint64_t kFirstPollMs = 10;

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

uint64_t millis(std::chrono::milliseconds d) {
  return static_cast<uint64_t>(std::max<int64_t>(1, d.count()));
}

// Indexer acknowledgement: the channel, the requests waiting for their ackId, the polls.
class Acknowledger {
 public:
  Acknowledger(const Settings& settings, const OutputContext& context, delivery::HttpClient& client)
      : log_("output[" + context.name + "]"),
        channel_(splunk_hec::load_or_create_channel(std::filesystem::path(context.state_dir) /
                                                    "hec_channel")),
        ack_url_(splunk_hec::ack_url(settings.string("url"))),
        interval_ms_(millis(settings.duration("ack_interval"))),
        timeout_(settings.duration("ack_timeout")),
        client_(client),
        timer_(context.loop) {
    poll_headers_ = {"Content-Type: application/json",
                     "Authorization: Splunk " + settings.string("token"), channel_header()};
    MetricLabels labels{{"output", context.name}};
    timeouts_ = &context.metrics->counter(
        "auditrelay_splunk_hec_ack_timeouts_total",
        "Requests not acknowledged within ack_timeout (their events were sent again)", labels);
    waiting_gauge_ =
        &context.metrics->gauge("auditrelay_splunk_hec_acks_pending",
                                "Requests waiting for indexer acknowledgement", labels);
  }

  ~Acknowledger() {
    if (!pending_.empty()) {
      log_.info(
          "requests still waiting for indexer acknowledgement stay in the buffer; "
          "they are sent again at the next start",
          {{"requests", pending_.size()}});
    }
  }

  std::string channel_header() const { return "X-Splunk-Request-Channel: " + channel_; }

  // An event request answered: waits for its ackId when it has one.
  void accepted(const HttpResponse& response, Outcome outcome,
                const std::function<void(Outcome)>& done, std::function<void()> answered) {
    std::optional<uint64_t> ack_id;
    if (outcome.verdict == Verdict::kDelivered && outcome.items.empty()) {
      ack_id = splunk_hec::ack_id_of(response.body);
      if (!ack_id && !warned_no_ack_id_) {
        warned_no_ack_id_ = true;
        log_.warn(
            "ack: true but HEC answered without an ackId: indexer acknowledgement looks "
            "disabled on this token; such events count as delivered on HEC's 200");
      }
    }
    if (!ack_id) {
      done(std::move(outcome));
      return;
    }
    splunk_hec::PendingAcks::Actions actions = pending_.add(*ack_id, done, Clock::now());
    if (answered) actions.push_back(std::move(answered));
    run(std::move(actions));
  }

 private:
  using Clock = splunk_hec::PendingAcks::Clock;

  void schedule() {
    waiting_gauge_->set(static_cast<int64_t>(pending_.size()));
    if (pending_.empty()) {
      delay_ms_ = kFirstPollMs;
      timer_.stop();
      return;
    }
    if (polling_ || timer_.active()) return;
    timer_.start(delay_ms_, 0, [this] { poll(); });
  }

  void poll() {
    size_t expired = 0;
    splunk_hec::PendingAcks::Actions actions = pending_.expire(Clock::now(), timeout_, &expired);
    if (expired > 0) {
      timeouts_->inc(expired);
      log_.warn(
          "requests were not acknowledged within ack_timeout; their events are sent again",
          {{"requests", expired}, {"ack_timeout_ms", std::chrono::milliseconds(timeout_).count()}});
    }
    if (!pending_.empty()) {
      polling_ = true;
      delivery::HttpRequest request;
      request.url = ack_url_;
      request.headers = poll_headers_;
      request.body = std::make_shared<const std::string>(pending_.poll_body());
      client_.send(std::move(request), [this](HttpResponse response) { polled(response); });
    }
    run(std::move(actions));
  }

  void polled(const HttpResponse& response) {
    polling_ = false;
    std::optional<std::vector<uint64_t>> ids;
    if (response.status == 200) ids = splunk_hec::acknowledged_ids(response.body);
    if (!ids) {
      if (poll_failures_++ == 0) {
        log_.warn(
            "polling HEC for acknowledgements failed; polling on (logged again when it "
            "recovers)",
            {{"status", response.status},
             {"error", response.error},
             {"body", response.body.substr(0, 200)}});
      }
      delay_ms_ = interval_ms_;
      run({});
      return;
    }
    if (poll_failures_ > 0) {
      log_.info("polling HEC for acknowledgements works again", {{"failed_polls", poll_failures_}});
      poll_failures_ = 0;
    }
    size_t acked = 0;
    splunk_hec::PendingAcks::Actions actions = pending_.acknowledged(*ids, &acked);
    delay_ms_ = acked > 0 ? kFirstPollMs : std::min(delay_ms_ * 2, interval_ms_);
    run(std::move(actions));
  }

  // Runs what the bookkeeping decided, then schedules the next poll. Last in every caller: an
  // action may end a drain, which destroys this object.
  void run(splunk_hec::PendingAcks::Actions actions) {
    std::weak_ptr<char> alive = alive_;
    for (auto& action : actions) {
      action();
      if (alive.expired()) return;
    }
    schedule();
  }

  Logger log_;
  std::string channel_;
  std::string ack_url_;
  std::vector<std::string> poll_headers_;
  uint64_t interval_ms_;
  std::chrono::milliseconds timeout_;
  splunk_hec::PendingAcks pending_;
  delivery::HttpClient& client_;
  loop::Timer timer_;
  uint64_t delay_ms_ = kFirstPollMs;
  bool polling_ = false;
  uint64_t poll_failures_ = 0;
  bool warned_no_ack_id_ = false;
  Counter* timeouts_;
  Gauge* waiting_gauge_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

class SplunkHecOutput : public delivery::BatchOutput {
 public:
  SplunkHecOutput(const Settings& settings, const OutputContext& context,
                  delivery::DeliveryOptions options)
      : url_(splunk_hec::event_url(settings.string("url"))),
        gzip_(settings.string("compression") == "gzip"),
        headers_(splunk_hec::request_headers(settings)),
        encoder_(metadata(settings, context.name)),
        retryable_(options.retryable),
        client_(context.loop, options.http) {
    if (settings.boolean("ack")) {
      max_awaiting_ = static_cast<size_t>(settings.integer("ack_max_pending"));
      acknowledger_ = std::make_unique<Acknowledger>(settings, context, client_);
      headers_.push_back(acknowledger_->channel_header());
    }
  }

  std::string encode(const DocumentBatch& batch, std::span<const uint32_t> items) override {
    std::string body;
    encoder_.append_body(batch, items, body);
    if (gzip_) return delivery::gzip_compress(body);
    return body;
  }

  size_t max_awaiting() const override {
    return acknowledger_ ? max_awaiting_ : BatchOutput::max_awaiting();
  }

  void send(std::shared_ptr<const std::string> body, size_t count,
            std::function<void(Outcome)> done, std::function<void()> answered) override {
    delivery::HttpRequest request;
    request.url = url_;
    request.headers = headers_;
    request.body = std::move(body);
    client_.send(std::move(request), [this, count, done = std::move(done),
                                      answered = std::move(answered)](HttpResponse response) {
      Outcome outcome = splunk_hec::classify_hec_response(response, count, retryable_);
      if (acknowledger_) {
        acknowledger_->accepted(response, std::move(outcome), done, answered);
      } else {
        done(std::move(outcome));
      }
    });
  }

 private:
  std::string url_;
  bool gzip_;
  std::vector<std::string> headers_;
  const splunk_hec::EventEncoder encoder_;  // const: encode() runs on worker threads
  delivery::RetryableStatuses retryable_;
  delivery::HttpClient client_;
  size_t max_awaiting_ = 0;
  std::unique_ptr<Acknowledger> acknowledger_;  // after client_: destroyed before it
};

std::unique_ptr<delivery::BatchOutput> create(const Settings& settings, OutputContext context) {
  return std::make_unique<SplunkHecOutput>(settings, context,
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
    .probe = splunk_hec::probe,
};

}  // namespace auditrelay
