#include <doctest/doctest.h>

#include "agent/config/config.h"
#include "tests/agent/config/test_schema.h"

namespace auditrelay {
namespace {

using test::load_test_config;

constexpr std::string_view kConfig = R"yaml(service:
  log_level: warn
  storage:
    max_bytes: 512MiB
    path: state
pipeline:
  normalize: {namespace: prod}
  inputs:
    - type: tail
      poll_interval: 1.5m
      paths: [logs/*.jsonl]
      exclude: ["a$$b", "${USER}"]
    - type: http
      listen: 127.0.0.1:8088
      token: ${TOKEN}
  outputs:
    - type: file
      name: archive
      path: ../out/audit.ndjson
      token: ${TOKEN}
      rotate: {max_size: 1.5GiB, max_age: 1500ms, keep: 0}
      retries: -3
      max_batch: 1000
)yaml";

constexpr std::string_view kRendered = R"yaml(service:
  log_level: warn
  storage:
    path: /etc/auditrelay/state
    max_bytes: 512MiB
    sync: batch
  shutdown_timeout: 10s
pipeline:
  normalize:
    dataset: policy_gateway.audit
    namespace: prod
    max_depth: 32
  inputs:
    - type: tail
      name: tail
      schema: auto
      paths: [/etc/auditrelay/logs/*.jsonl]
      exclude: [a$$b, r$$t]
      poll_interval: 90s
      max_line: 64KiB
      read_from: head
      follow_symlinks: false
    - type: http
      name: http
      schema: auto
      listen: 127.0.0.1:8088
      token: <redacted>
  outputs:
    - type: file
      name: archive
      max_batch: 1000
      path: /etc/out/audit.ndjson
      token: <redacted>
      format: ndjson
      compress: true
      retries: -3
      rotate:
        max_size: 1536MiB
        max_age: 1500ms
        keep: 0
)yaml";

const std::map<std::string, std::string> kEnv{{"TOKEN", "tok$en-value"}, {"USER", "r$t"}};

TEST_CASE("render_effective_config prints every key in declaration order, secrets masked") {
  const PipelineConfig config = load_test_config(kConfig, kEnv);
  CHECK(render_effective_config(config) == kRendered);
}

TEST_CASE("the rendered config loads back to the same values") {
  const PipelineConfig first = load_test_config(kConfig, kEnv);
  const PipelineConfig second = load_test_config(render_effective_config(first));
  CHECK(render_effective_config(second) == kRendered);
  // '$' was escaped, so the values survive a second load untouched.
  CHECK(second.inputs[0].settings.strings("exclude") == std::vector<std::string>{"a$b", "r$t"});
  CHECK(second.outputs[0].settings.section("rotate").size("max_size") ==
        first.outputs[0].settings.section("rotate").size("max_size"));
  CHECK(second.inputs[0].settings.duration("poll_interval") ==
        first.inputs[0].settings.duration("poll_interval"));
  CHECK(second.outputs[0].settings.string("token") == "<redacted>");
}

TEST_CASE("keys without a value are left out; empty sections stay on one line") {
  static constexpr std::array kEmpty{
      SettingSpec{.key = "optional", .type = SettingType::kString, .doc = "no default"},
  };
  static constexpr std::array kPlugin{
      SettingSpec{
          .key = "nested", .type = SettingType::kSection, .doc = "empty", .section = kEmpty},
      SettingSpec{
          .key = "secret", .type = SettingType::kString, .doc = "unset secret", .secret = true},
  };
  static const SettingsSpec kPluginSpec = kPlugin;
  ConfigSchema schema = test::test_schema();
  schema.plugin = [](std::string_view, std::string_view type) -> const SettingsSpec* {
    return type == "x" ? &kPluginSpec : nullptr;
  };
  const PipelineConfig config =
      load_config_text("pipeline: {inputs: [{type: x}], outputs: [{type: x, name: y}]}", "p.yaml",
                       "/", schema, test::fake_env());
  const std::string rendered = render_effective_config(config);
  CHECK(rendered.find("    - type: x\n      name: x\n      schema: auto\n      nested: {}\n") !=
        std::string::npos);
  CHECK(rendered.find("optional") == std::string::npos);
  CHECK(rendered.find("secret") == std::string::npos);
}

}  // namespace
}  // namespace auditrelay
