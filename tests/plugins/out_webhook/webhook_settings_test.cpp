#include "plugins/out_webhook/webhook_settings.h"

#include <doctest/doctest.h>

#include <string>

#include "agent/config/config.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::webhook;

namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// The webhook output's settings as the loader builds them from `output` (YAML mapping lines,
// indented 6), then checked by validate().
Settings load(const std::string& output, const std::filesystem::path& base_dir = "/") {
  static const SettingsSpec none{};
  ConfigSchema schema;
  schema.plugin = [](std::string_view kind, std::string_view type) -> const SettingsSpec* {
    static const SettingsSpec webhook_spec{kSettings};
    if (kind == "output" && type == "webhook") return &webhook_spec;
    if (kind == "input" && type == "x") return &none;
    return nullptr;
  };
  schema.plugin_types = [](std::string_view) { return std::vector<std::string>{"webhook", "x"}; };
  const std::string yaml =
      "pipeline:\n"
      "  inputs: [{type: x}]\n"
      "  outputs:\n"
      "    - type: webhook\n" +
      output;
  PipelineConfig config = load_config_text(yaml, "agent.yaml", base_dir, schema);
  validate(config.outputs.at(0).settings);
  return config.outputs.at(0).settings;
}

std::string with_secret(const std::string& more = "") {
  return "      url: https://hooks.example.com/auditrelay\n"
         "      secret: " +
         std::string(kSecret) + "\n" + more;
}

}  // namespace

TEST_CASE("defaults: blocked and warned events, 15 s timeout, JSON content type") {
  Settings s = load(with_secret());
  EventTypes events = wanted_events(s);
  CHECK(events.contains(EventType::kBlocked));
  CHECK(events.contains(EventType::kWarned));
  CHECK_FALSE(events.contains(EventType::kRewritten));
  CHECK_FALSE(events.contains(EventType::kAllowed));
  CHECK(s.duration("timeout") == std::chrono::seconds(15));
  CHECK(request_headers(s) == std::vector<std::string>{"Content-Type: application/json"});
  CHECK(signing_secrets(s) == std::vector<std::string>{kSecret});
}

TEST_CASE("the url is required and must be http or https") {
  CHECK_THROWS_WITH_AS(load("      secret: " + std::string(kSecret) + "\n"),
                       doctest::Contains("url"), ConfigError);
  CHECK_THROWS_WITH_AS(
      load("      url: hooks.example.com\n      secret: " + std::string(kSecret) + "\n"),
      doctest::Contains("not an http:// or https:// URL"), ConfigError);
}

TEST_CASE("events: any of the four types; anything else names the key") {
  Settings s =
      load(with_secret("      events: [governance.request.rewritten, "
                       "governance.request.allowed]\n"));
  CHECK(wanted_events(s).contains(EventType::kAllowed));
  CHECK_FALSE(wanted_events(s).contains(EventType::kBlocked));
  CHECK_THROWS_WITH_AS(load(with_secret("      events: [governance.request.denied]\n")),
                       doctest::Contains("events: 'governance.request.denied' is not one of"),
                       ConfigError);
  CHECK_THROWS_WITH_AS(load(with_secret("      events: []\n")), doctest::Contains("events"),
                       ConfigError);
}

TEST_CASE("a secret is required, must be whsec_ + base64, and is never repeated") {
  CHECK_THROWS_WITH_AS(load("      url: https://h\n"), doctest::Contains("secret"), ConfigError);
  for (const char* bad : {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not-base64!", "whsec_"}) {
    CAPTURE(bad);
    try {
      load("      url: https://h\n      secret: \"" + std::string(bad) + "\"\n");
      FAIL("accepted");
    } catch (const ConfigError& e) {
      CHECK(std::string(e.what()).find("whsec_ followed by") != std::string::npos);
      if (std::string(bad).size() > 6) CHECK(std::string(e.what()).find(bad) == std::string::npos);
    }
  }
  CHECK_THROWS_WITH_AS(
      load("      url: https://h\n      secrets: [\"" + std::string(kSecret) + "\", whsec_bad]\n"),
      doctest::Contains("secrets: item 2 must be whsec_"), ConfigError);
}

TEST_CASE("secrets (rotation) after secret; secret_file read by the loader") {
  const std::string other = "whsec_YW5vdGhlciBrZXkgb2YgMjQgYnl0ZXMh";
  Settings s = load("      url: https://h\n      secrets: [\"" + std::string(kSecret) + "\", \"" +
                    other + "\"]\n");
  CHECK(signing_secrets(s) == std::vector<std::string>{kSecret, other});

  test::TempDir dir;
  test::write_file(dir / "webhook.secret", std::string(kSecret) + "\n");
  s = load("      url: https://h\n      secret_file: webhook.secret\n", dir.path());
  CHECK(signing_secrets(s) == std::vector<std::string>{kSecret});
}

TEST_CASE("headers: Name: value, not the output's own") {
  Settings s = load(with_secret("      headers: [\"X-Tenant: acme\"]\n"));
  CHECK(request_headers(s) ==
        std::vector<std::string>{"Content-Type: application/json", "X-Tenant: acme"});
  CHECK_THROWS_WITH_AS(load(with_secret("      headers: [\"no colon\"]\n")),
                       doctest::Contains("Name: value"), ConfigError);
  for (const char* reserved :
       {"webhook-id: x", "Webhook-Signature: v1,abc", "content-type: text/plain"}) {
    CAPTURE(reserved);
    CHECK_THROWS_WITH_AS(load(with_secret("      headers: [\"" + std::string(reserved) + "\"]\n")),
                         doctest::Contains("cannot be overridden"), ConfigError);
  }
}

TEST_CASE("the shared delivery settings are checked too") {
  CHECK_THROWS_WITH_AS(load(with_secret("      concurrency: 0\n")),
                       doctest::Contains("concurrency"), ConfigError);
}
