// The webhook plugin as the BatchDriver sees it: which documents it wants, one per request,
// the body it encodes, and the signed requests it sends (to an in-process HTTP server).
#include "plugins/out_webhook/out_webhook.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <cstdlib>
#include <optional>

#include "agent/config/config.h"
#include "agent/delivery/batch_output.h"
#include "agent/delivery/batch_reading.h"
#include "agent/http/server.h"
#include "plugins/out_webhook/signature.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;

namespace {

Settings load(const std::string& output) {
  static const SettingsSpec none{};
  ConfigSchema schema;
  schema.plugin = [](std::string_view kind, std::string_view type) -> const SettingsSpec* {
    if (kind == "output" && type == "webhook") return &kWebhookOutput.settings;
    if (kind == "input" && type == "x") return &none;
    return nullptr;
  };
  schema.plugin_types = [](std::string_view) { return std::vector<std::string>{"webhook", "x"}; };
  PipelineConfig config = load_config_text(
      "pipeline:\n  inputs: [{type: x}]\n  outputs:\n    - type: webhook\n" + output, "a.yaml", "/",
      schema);
  kWebhookOutput.validate(config.outputs.at(0).settings);
  return config.outputs.at(0).settings;
}

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// A loop, and the plugin created on it (by create(), once the URL is known).
struct Plugin {
  // With `more` (YAML lines): created at once, sending nowhere; without: see create().
  explicit Plugin(std::optional<std::string> more = "") {
    uv_loop_init(&loop);
    if (more) create("http://127.0.0.1:1/hook", *more);
  }
  void create(const std::string& url, const std::string& more = "") {
    Settings settings =
        load("      url: " + url + "\n      secret: " + std::string(kSecret) + "\n" + more);
    output = kWebhookOutput.create_batch(
        settings, OutputContext{"hook", dir.path().string(), &metrics, &loop});
  }
  ~Plugin() {
    output.reset();
    server.reset();
    uv_run(&loop, UV_RUN_DEFAULT);  // lets the handles close
    uv_loop_close(&loop);
  }
  test::TempDir dir;
  uv_loop_t loop{};
  MetricsRegistry metrics;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<delivery::BatchOutput> output;
};

DocumentBatch documents() {
  DocumentBatch batch;
  batch.add("a", "logs-x-y", R"({"event":{"type":["allowed"]}})");
  batch.add("b", "logs-x-y", R"({"event":{"type":["denied"]}})");
  batch.add("c", "logs-x-y", R"({"event":{"type":["allowed","info"]}})");
  batch.add("d", "logs-x-y", R"({"event":{"type":["allowed","change"]}})");
  batch.add("e", "logs-x-y", R"({"event":{"type":["denied"]}})");
  return batch;
}

using Requests = std::vector<std::vector<uint32_t>>;

}  // namespace

TEST_CASE("by default blocked and warned events, one per request") {
  Plugin plugin;
  CHECK(plugin.output->max_items_per_request() == 1);
  CHECK(delivery::split_into_requests(documents(), *plugin.output, {500, 5 << 20}) ==
        Requests{{1}, {2}, {4}});
  CHECK(plugin.metrics.render_prometheus().find(
            "auditrelay_webhook_endpoint_gone{output=\"hook\"} 0") != std::string::npos);
}

TEST_CASE("the configured event types") {
  Plugin plugin("      events: [governance.request.allowed, governance.request.rewritten]\n");
  CHECK(delivery::split_into_requests(documents(), *plugin.output, {500, 5 << 20}) ==
        Requests{{0}, {3}});
}

TEST_CASE("the body is the envelope, its id first") {
  Plugin plugin;
  DocumentBatch batch = documents();
  const uint32_t item = 1;
  CHECK(plugin.output->encode(batch, {&item, 1}) ==
        R"({"id":"evt_b","type":"governance.request.blocked","data":{}})");
}

TEST_CASE("other outputs keep max_records per request") {
  struct All : delivery::BatchOutput {
    std::string encode(const DocumentBatch&, std::span<const uint32_t>) override { return ""; }
    void send(std::shared_ptr<const std::string>, size_t, std::function<void(delivery::Outcome)>,
              std::function<void()>) override {}
  } all;
  CHECK(delivery::split_into_requests(documents(), all, {2, 5 << 20}) ==
        Requests{{0, 1}, {2, 3}, {4}});
}

namespace {

// The plugin sending to an http::Server on its own loop, which answers `statuses` in turn
// (then 200) and keeps what it received.
struct Receiver {
  explicit Receiver(std::vector<int> answers, const std::string& more = "")
      : statuses(std::move(answers)) {
    plugin.server = std::make_unique<http::Server>(
        &plugin.loop, [this](const http::Request& request, http::Server::Respond respond) {
          requests.push_back(request);
          http::Response response;
          if (next < statuses.size()) response.status = statuses[next++];
          respond(std::move(response));
        });
    const int port = plugin.server->listen("127.0.0.1", 0);
    plugin.create("http://127.0.0.1:" + std::to_string(port) + "/hook", more);
  }

  // Sends `body` and runs the loop until it is answered.
  delivery::Outcome send(const std::string& body) {
    std::optional<delivery::Outcome> outcome;
    bool inside_send = true;
    plugin.output->send(
        std::make_shared<const std::string>(body), 1,
        [&](delivery::Outcome o) {
          CHECK_FALSE(inside_send);  // later, never from inside send()
          outcome = std::move(o);
          // The answer may come from a timer run before the loop polls: without this the
          // same uv_run would then wait for I/O that never comes.
          uv_stop(&plugin.loop);
        },
        [] {});
    inside_send = false;
    while (!outcome)
      uv_run(&plugin.loop, UV_RUN_ONCE);
    return *outcome;
  }

  Plugin plugin{std::nullopt};
  std::vector<int> statuses;
  size_t next = 0;
  std::vector<http::Request> requests;
};

std::string body_of(std::string_view id) {
  return R"({"id":")" + std::string(id) + R"(","type":"governance.request.blocked","data":{}})";
}

}  // namespace

TEST_CASE("a request: the envelope, JSON, extra headers, a Standard Webhooks signature") {
  Receiver receiver({200}, "      headers: [\"X-Tenant: acme\"]\n");
  const std::string body = body_of("evt_rec-1");
  const auto before = std::chrono::system_clock::now();
  CHECK(receiver.send(body).verdict == delivery::Verdict::kDelivered);
  REQUIRE(receiver.requests.size() == 1);
  const http::Request& request = receiver.requests[0];
  CHECK(request.method == "POST");
  CHECK(request.path() == "/hook");
  CHECK(request.body == body);
  CHECK(request.header("Content-Type") == "application/json");
  CHECK(request.header("X-Tenant") == "acme");
  CHECK(request.header("webhook-id") == "evt_rec-1");
  const int64_t timestamp = std::stoll(request.header("webhook-timestamp"));
  CHECK(std::abs(
            timestamp -
            std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count()) <=
        2);
  CHECK(request.header("webhook-signature") ==
        webhook::Signer({kSecret}).sign("evt_rec-1", timestamp, body));
}

TEST_CASE("a retry sends the same body and webhook-id, signed anew") {
  Receiver receiver({503, 200});
  const std::string body = body_of("evt_rec-2");
  CHECK(receiver.send(body).verdict == delivery::Verdict::kRetry);
  CHECK(receiver.send(body).verdict == delivery::Verdict::kDelivered);
  REQUIRE(receiver.requests.size() == 2);
  for (const http::Request& request : receiver.requests) {
    CHECK(request.header("webhook-id") == "evt_rec-2");
    CHECK(request.header("webhook-signature") ==
          webhook::Signer({kSecret}).sign("evt_rec-2",
                                          std::stoll(request.header("webhook-timestamp")), body));
  }
}

TEST_CASE("410 Gone: the endpoint is disabled; later events are rejected without a request") {
  Receiver receiver({410});
  auto gone = [&] {
    return receiver.plugin.metrics.render_prometheus().find(
               "auditrelay_webhook_endpoint_gone{output=\"hook\"} 1") != std::string::npos;
  };
  CHECK_FALSE(gone());
  delivery::Outcome first = receiver.send(body_of("evt_a"));
  CHECK(first.verdict == delivery::Verdict::kRejected);
  CHECK(first.reason == "endpoint gone (410)");
  CHECK(gone());
  for (const char* id : {"evt_b", "evt_c"}) {
    delivery::Outcome later = receiver.send(body_of(id));
    CHECK(later.verdict == delivery::Verdict::kRejected);
    CHECK(later.status == 410);
    CHECK(later.reason == "endpoint gone (410)");
  }
  CHECK(receiver.requests.size() == 1);
}

TEST_CASE("a record id that cannot be a header value is rejected without a request") {
  Receiver receiver({});
  for (const char* id : {R"(evt_a\"b)", R"(evt_a\nb)", "evt_\xc3\xa9"}) {
    CAPTURE(id);
    delivery::Outcome o = receiver.send(body_of(id));
    CHECK(o.verdict == delivery::Verdict::kRejected);
    CHECK(o.error_type == "invalid_event_id");
  }
  CHECK(receiver.requests.empty());
}
