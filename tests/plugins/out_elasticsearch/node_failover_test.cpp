// Which answers set an Elasticsearch node aside (out_elasticsearch.cpp's node_failed): the
// plugin sends to two in-process nodes, and the node the third request goes to tells whether
// the first node was set aside (HostPool: round-robin, a failed node skipped for a while).
#include <doctest/doctest.h>
#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/delivery/batch_output.h"
#include "agent/http/server.h"
#include "plugins/out_elasticsearch/out_elasticsearch.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using delivery::Verdict;

namespace {

Settings load(const std::string& output) {
  static const SettingsSpec none{};
  ConfigSchema schema;
  schema.plugin = [](std::string_view kind, std::string_view type) -> const SettingsSpec* {
    if (kind == "output" && type == "elasticsearch") return &kElasticsearchOutput.settings;
    if (kind == "input" && type == "x") return &none;
    return nullptr;
  };
  schema.plugin_types = [](std::string_view) {
    return std::vector<std::string>{"elasticsearch", "x"};
  };
  PipelineConfig config = load_config_text(
      "pipeline:\n  inputs: [{type: x}]\n  outputs:\n    - type: elasticsearch\n" + output,
      "a.yaml", "/", schema);
  kElasticsearchOutput.validate(config.outputs.at(0).settings);
  return config.outputs.at(0).settings;
}

// A node on the test's loop: answers `status` (a bulk response without errors for 200) and
// counts the requests it received.
struct Node {
  Node(uv_loop_t* loop, int answer) : status(answer) {
    server = std::make_unique<http::Server>(
        loop, [this](const http::Request&, http::Server::Respond respond) {
          ++requests;
          http::Response response;
          response.status = status;
          response.headers.emplace_back("Content-Type", "application/json");
          response.body =
              status == 200 ? R"({"errors":false})" : "<html>" + std::to_string(status) + "</html>";
          respond(std::move(response));
        });
    url = "http://127.0.0.1:" + std::to_string(server->listen("127.0.0.1", 0));
  }
  int status;
  int requests = 0;
  std::string url;
  std::unique_ptr<http::Server> server;
};

// The plugin on its own loop, sending to `hosts` in that order.
struct Plugin {
  Plugin() { uv_loop_init(&loop); }
  ~Plugin() {
    output.reset();
    nodes.clear();
    uv_run(&loop, UV_RUN_DEFAULT);  // lets the handles close
    uv_loop_close(&loop);
  }
  Node& node(int status) { return *nodes.emplace_back(std::make_unique<Node>(&loop, status)); }
  void create(const std::vector<std::string>& hosts) {
    std::string list;
    for (const std::string& host : hosts)
      list += (list.empty() ? "" : ", ") + host;
    output = kElasticsearchOutput.create_batch(
        load("      hosts: [" + list + "]\n"),
        OutputContext{"es", dir.path().string(), &metrics, &loop});
  }
  // Sends one document and runs the loop until it is answered.
  delivery::Outcome send() {
    std::optional<delivery::Outcome> outcome;
    DocumentBatch batch;
    batch.add("id-1", "logs-a-b", R"({"n":1})");
    const uint32_t item = 0;
    output->send(
        std::make_shared<const std::string>(output->encode(batch, {&item, 1})), 1,
        [&](delivery::Outcome o) {
          outcome = std::move(o);
          uv_stop(&loop);
        },
        [] {});
    while (!outcome)
      uv_run(&loop, UV_RUN_ONCE);
    return *outcome;
  }

  test::TempDir dir;
  uv_loop_t loop{};
  MetricsRegistry metrics;
  std::vector<std::unique_ptr<Node>> nodes;
  std::unique_ptr<delivery::BatchOutput> output;
};

}  // namespace

// The node is set aside for a second (HostPool): the three requests go out well within it.
TEST_CASE("a node answering 502, 503 or 504 is set aside: the next requests go to the other") {
  for (int status : {502, 503, 504}) {
    CAPTURE(status);
    Plugin plugin;
    Node& a = plugin.node(status);
    Node& b = plugin.node(200);
    plugin.create({a.url, b.url});
    CHECK(plugin.send().verdict == Verdict::kRetry);  // a, first in turn
    CHECK(plugin.send().verdict == Verdict::kDelivered);
    CHECK(plugin.send().verdict == Verdict::kDelivered);  // a's turn, but a is set aside
    CHECK(a.requests == 1);
    CHECK(b.requests == 2);
  }
}

TEST_CASE("a node that does not answer is set aside") {
  Plugin plugin;
  Node& b = plugin.node(200);
  plugin.create({"http://127.0.0.1:1", b.url});  // nothing listens on port 1
  delivery::Outcome refused = plugin.send();
  CHECK(refused.verdict == Verdict::kRetry);
  CHECK(refused.status == 0);
  CHECK(refused.error_type == "connection_error");
  CHECK(plugin.send().verdict == Verdict::kDelivered);
  CHECK(plugin.send().verdict == Verdict::kDelivered);
  CHECK(b.requests == 2);
}

TEST_CASE("a node answering 500, 429 or 401 stays in turn: Elasticsearch itself answered") {
  for (int status : {500, 429, 401}) {
    CAPTURE(status);
    Plugin plugin;
    Node& a = plugin.node(status);
    Node& b = plugin.node(200);
    plugin.create({a.url, b.url});
    CHECK(plugin.send().verdict == Verdict::kRetry);
    CHECK(plugin.send().verdict == Verdict::kDelivered);
    CHECK(plugin.send().verdict == Verdict::kRetry);  // back to a
    CHECK(a.requests == 2);
    CHECK(b.requests == 1);
  }
}

TEST_CASE("a node set aside is used again once it answers") {
  Plugin plugin;
  Node& a = plugin.node(503);
  plugin.create({a.url});
  CHECK(plugin.send().verdict == Verdict::kRetry);
  // The only node, set aside: still the one due soonest, so it is tried; now it answers.
  a.status = 200;
  CHECK(plugin.send().verdict == Verdict::kDelivered);
  CHECK(plugin.send().verdict == Verdict::kDelivered);
  CHECK(a.requests == 3);
}
