// Loading valid pipeline files: defaults, typed values, paths, instances, marks.
#include "agent/config/config.h"

#include <doctest/doctest.h>

#include "tests/agent/config/test_schema.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono_literals;

namespace auditrelay {
namespace {

using test::load_test_config;

constexpr std::string_view kFullConfig = R"yaml(# a test pipeline
service:
  log_level: warn
  storage:
    path: state
    max_bytes: 512MiB
pipeline:
  normalize: {namespace: prod}
  inputs:
    - type: tail
      paths: [logs/*.jsonl, /var/log/gw/*.jsonl]
      schema: policy_gateway
      poll_interval: 2m
    - type: http
      name: http-in
      listen: 127.0.0.1:8088
      token: s3cret
  outputs:
    - type: file
      path: ../out/audit.ndjson
      rotate:
        max_size: 1.5GiB
      retries: 3
    - type: stdout
)yaml";

TEST_CASE("a full config loads with given values and defaults") {
  const PipelineConfig config = load_test_config(kFullConfig);
  CHECK(config.file == "pipeline.yaml");
  CHECK(config.base_dir == "/etc/auditrelay");

  const Settings& service = config.service;
  CHECK(service.path() == "service");
  CHECK(service.mark().line == 3);
  CHECK(service.string("log_level") == "warn");
  CHECK(service.given("log_level"));
  CHECK(service.duration("shutdown_timeout") == 10s);
  CHECK_FALSE(service.given("shutdown_timeout"));
  const Settings& storage = service.section("storage");
  CHECK(storage.path() == "service.storage");
  CHECK(storage.string("path") == "/etc/auditrelay/state");
  CHECK(storage.size("max_bytes") == 512ull << 20);
  CHECK(storage.string("sync") == "batch");

  const Settings& normalize = config.pipeline.section("normalize");
  CHECK(normalize.string("namespace") == "prod");
  CHECK(normalize.string("dataset") == "policy_gateway.audit");
  CHECK(normalize.integer("max_depth") == 32);

  REQUIRE(config.inputs.size() == 2);
  const InstanceConfig& tail = config.inputs[0];
  CHECK(tail.type == "tail");
  CHECK(tail.name == "tail");
  CHECK(tail.key_path == "pipeline.inputs[0]");
  CHECK(tail.mark.line == 10);
  CHECK(tail.mark.column == 7);
  CHECK(tail.common.string("schema") == "policy_gateway");
  CHECK(tail.settings.strings("paths") ==
        std::vector<std::string>{"/etc/auditrelay/logs/*.jsonl", "/var/log/gw/*.jsonl"});
  CHECK(tail.settings.strings("exclude").empty());
  CHECK(tail.settings.duration("poll_interval") == 2min);
  CHECK(tail.settings.size("max_line") == 64 * 1024);
  CHECK(tail.settings.string("read_from") == "head");
  CHECK_FALSE(tail.settings.boolean("follow_symlinks"));
  CHECK_FALSE(tail.settings.has("state_file"));
  CHECK_FALSE(tail.settings.given("state_file"));

  const InstanceConfig& http = config.inputs[1];
  CHECK(http.name == "http-in");
  CHECK(http.common.string("schema") == "auto");
  CHECK(http.settings.string("listen") == "127.0.0.1:8088");
  CHECK(http.settings.string("token") == "s3cret");
  CHECK(http.settings.entries().at("token").secret);
  CHECK_FALSE(http.settings.entries().at("listen").secret);

  REQUIRE(config.outputs.size() == 2);
  const InstanceConfig& file = config.outputs[0];
  CHECK(file.name == "file");
  CHECK(file.key_path == "pipeline.outputs[0]");
  CHECK(file.common.size("max_batch") == 5ull << 20);
  CHECK(file.settings.string("path") == "/etc/out/audit.ndjson");
  CHECK_FALSE(file.settings.has("token"));
  CHECK(file.settings.string("format") == "ndjson");
  CHECK(file.settings.boolean("compress"));
  CHECK(file.settings.integer("retries") == 3);
  const Settings& rotate = file.settings.section("rotate");
  CHECK(rotate.path() == "pipeline.outputs[0].rotate");
  CHECK(rotate.size("max_size") == 1536ull << 20);
  CHECK(rotate.duration("max_age") == 1h);
  CHECK(rotate.integer("keep") == 5);
  CHECK(config.outputs[1].name == "stdout");
  CHECK_FALSE(config.outputs[1].settings.boolean("pretty"));
}

TEST_CASE("Settings::error after loading points at the key as written") {
  const PipelineConfig config = load_test_config(kFullConfig);
  CHECK(std::string(config.outputs[0].settings.error("retries", "too many").what()) ==
        "pipeline.yaml:23:7: pipeline.outputs[0].retries: too many");
  CHECK(std::string(
            config.outputs[0].settings.section("rotate").error("max_size", "too big").what()) ==
        "pipeline.yaml:22:9: pipeline.outputs[0].rotate.max_size: too big");
  // A defaulted key is reported at its mapping.
  CHECK(std::string(config.inputs[0].settings.error("max_line", "x").what()) ==
        "pipeline.yaml:10:7: pipeline.inputs[0].max_line: x");
}

TEST_CASE("settings follow declaration order, whatever the file's order") {
  const PipelineConfig config = load_test_config(kFullConfig);
  CHECK(config.service.keys() ==
        std::vector<std::string>{"log_level", "storage", "shutdown_timeout"});
  CHECK(config.outputs[0].settings.keys() ==
        std::vector<std::string>{"path", "token", "format", "compress", "retries", "rotate"});
}

TEST_CASE("a minimal config gets every section, defaulted") {
  const PipelineConfig config = load_test_config(
      "pipeline:\n"
      "  inputs: [{type: tail, paths: /logs/a.jsonl}]\n"
      "  outputs: [{type: file, path: /out}]\n");
  CHECK(config.service.string("log_level") == "info");
  CHECK_FALSE(config.service.given("storage"));
  const Settings& storage = config.service.section("storage");
  CHECK(storage.path() == "service.storage");
  CHECK(storage.string("path") == "/var/lib/auditrelay");
  CHECK(storage.size("max_bytes") == 2ull << 30);
  CHECK(config.pipeline.section("normalize").string("namespace") == "default");
  CHECK_FALSE(config.outputs[0].settings.given("rotate"));
  CHECK(config.outputs[0].settings.section("rotate").path() == "pipeline.outputs[0].rotate");
  CHECK(config.outputs[0].settings.section("rotate").integer("keep") == 5);
  // A single scalar is a one-item list.
  CHECK(config.inputs[0].settings.strings("paths") == std::vector<std::string>{"/logs/a.jsonl"});
}

TEST_CASE("paths: relative ones resolve against the base dir, others stay as written") {
  const PipelineConfig config = load_test_config(
      "pipeline:\n"
      "  inputs:\n"
      "    - type: tail\n"
      "      paths: [a.jsonl, ./x/../b/*.jsonl, ../../../up.jsonl, /var//log/../c.jsonl, '']\n"
      "      exclude: [relative/*.gz]\n"
      "      state_file: ''\n"
      "  outputs:\n"
      "    - type: file\n"
      "      path: out/./audit.ndjson\n");
  CHECK(config.inputs[0].settings.strings("paths") ==
        std::vector<std::string>{"/etc/auditrelay/a.jsonl", "/etc/auditrelay/b/*.jsonl",
                                 "/up.jsonl", "/var//log/../c.jsonl", ""});
  // A plain string list is not a path list.
  CHECK(config.inputs[0].settings.strings("exclude") == std::vector<std::string>{"relative/*.gz"});
  CHECK(config.inputs[0].settings.has("state_file"));
  CHECK(config.inputs[0].settings.string("state_file").empty());
  CHECK(config.outputs[0].settings.string("path") == "/etc/auditrelay/out/audit.ndjson");
}

TEST_CASE("a relative base dir is made absolute") {
  const PipelineConfig config = load_config_text(
      "pipeline:\n  inputs: [{type: tail, paths: a}]\n  outputs: [{type: stdout}]\n", "p.yaml",
      "conf/../conf", test::test_schema(), test::fake_env());
  const std::filesystem::path expected =
      (std::filesystem::current_path() / "conf").lexically_normal();
  CHECK(config.base_dir == expected);
  CHECK(config.inputs[0].settings.strings("paths") ==
        std::vector<std::string>{(expected / "a").string()});
}

TEST_CASE("scalars convert: booleans, integers, quoted values") {
  const PipelineConfig config = load_test_config(
      "pipeline:\n"
      "  normalize: {max_depth: -4, dataset: \"123\"}\n"
      "  inputs: [{type: tail, paths: x, follow_symlinks: YES, poll_interval: \"1.5\"}]\n"
      "  outputs: [{type: stdout, pretty: 'true'}]\n");
  CHECK(config.pipeline.section("normalize").integer("max_depth") == -4);
  CHECK(config.pipeline.section("normalize").string("dataset") == "123");
  CHECK(config.inputs[0].settings.boolean("follow_symlinks"));
  CHECK(config.inputs[0].settings.duration("poll_interval") == 1500ms);
  CHECK(config.outputs[0].settings.boolean("pretty"));
}

TEST_CASE("load_config reads the file and resolves paths against its directory") {
  test::TempDir dir;
  std::filesystem::create_directory(dir / "conf");
  test::write_file(dir / "conf" / "pipeline.yaml",
                   "pipeline:\n"
                   "  inputs: [{type: tail, paths: ../logs/*.jsonl}]\n"
                   "  outputs: [{type: file, path: out.ndjson}]\n");
  const PipelineConfig config = load_config(dir / "conf" / "pipeline.yaml", test::test_schema());
  CHECK(config.file == dir / "conf" / "pipeline.yaml");
  CHECK(config.base_dir == dir.path() / "conf");
  CHECK(config.inputs[0].settings.strings("paths") ==
        std::vector<std::string>{(dir / "logs" / "*.jsonl").string()});
  CHECK(config.outputs[0].settings.string("path") == (dir / "conf" / "out.ndjson").string());
}

TEST_CASE("load_config reports an unreadable file at line 0") {
  test::TempDir dir;
  const std::filesystem::path missing = dir / "missing.yaml";
  try {
    load_config(missing, test::test_schema());
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          missing.string() + ":0:0: cannot read the configuration file: No such file or directory");
    CHECK(e.mark().line == 0);
    CHECK(e.key_path().empty());
  }
  CHECK_THROWS_WITH_AS(
      load_config(dir.path(), test::test_schema()),
      (dir.path().string() + ":0:0: cannot read the configuration file: Is a directory").c_str(),
      ConfigError);
}

TEST_CASE("load_config errors name the file as given") {
  test::TempDir dir;
  test::write_file(dir / "p.yaml", "pipeline:\n  inputz: []\n");
  CHECK_THROWS_WITH_AS(load_config(dir / "p.yaml", test::test_schema()),
                       ((dir / "p.yaml").string() +
                        ":2:3: pipeline.inputz: unknown key 'inputz' (did you mean 'inputs'?)")
                           .c_str(),
                       ConfigError);
}

TEST_CASE("a default that does not convert is a programming error") {
  static constexpr std::array kBad{
      SettingSpec{
          .key = "wait", .type = SettingType::kDuration, .default_value = "soon", .doc = "broken"},
  };
  static const SettingsSpec kBadSpec = kBad;
  ConfigSchema schema = test::test_schema();
  schema.plugin = [](std::string_view kind, std::string_view type) -> const SettingsSpec* {
    return kind == "input" && type == "bad" ? &kBadSpec : nullptr;
  };
  CHECK_THROWS_WITH_AS(
      load_config_text("pipeline: {inputs: [{type: bad}], outputs: [{type: x}]}", "p.yaml", "/",
                       schema, test::fake_env()),
      "setting 'pipeline.inputs[0].wait' has an invalid default 'soon': expected a duration "
      "such as 250ms, 5s, 2m or 1h, found 'soon'",
      std::logic_error);
}

}  // namespace
}  // namespace auditrelay
