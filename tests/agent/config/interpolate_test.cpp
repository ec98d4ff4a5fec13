#include <doctest/doctest.h>

#include <cstdlib>

#include "agent/config/config.h"
#include "tests/agent/config/test_schema.h"

namespace auditrelay {
namespace {

const ConfigMark kMark{"p.yaml", 4, 9};
const std::string kPath = "pipeline.outputs[0].url";

std::string expand(std::string_view text, std::map<std::string, std::string> vars = {}) {
  return interpolate(text, test::fake_env(std::move(vars)), kMark, kPath);
}

std::string expand_error(std::string_view text, std::map<std::string, std::string> vars = {}) {
  try {
    expand(text, std::move(vars));
  } catch (const ConfigError& e) {
    CHECK(e.mark().line == 4);
    CHECK(e.key_path() == kPath);
    return e.what();
  }
  return "";
}

TEST_CASE("interpolate substitutes ${VAR}") {
  CHECK(expand("plain text") == "plain text");
  CHECK(expand("${HOST}", {{"HOST", "es.internal"}}) == "es.internal");
  CHECK(expand("https://${HOST}:${PORT}/x", {{"HOST", "h"}, {"PORT", "9200"}}) ==
        "https://h:9200/x");
  CHECK(expand("${_a1}", {{"_a1", "v"}}) == "v");
  // Set but empty, without a default: the empty value.
  CHECK(expand("[${EMPTY}]", {{"EMPTY", ""}}) == "[]");
}

TEST_CASE("interpolate ${VAR:-default} uses the default when unset or empty, like the shell") {
  CHECK(expand("${LEVEL:-info}") == "info");
  CHECK(expand("${LEVEL:-info}", {{"LEVEL", ""}}) == "info");
  CHECK(expand("${LEVEL:-info}", {{"LEVEL", "debug"}}) == "debug");
  CHECK(expand("${LEVEL:-}") == "");
  CHECK(expand("a${X:-b c:d}e") == "ab c:de");
}

TEST_CASE("interpolate: $$ is a literal $ and a lone $ stays") {
  CHECK(expand("$$") == "$");
  CHECK(expand("pa$$word") == "pa$word");
  CHECK(expand("$${HOME}", {{"HOME", "/root"}}) == "${HOME}");
  CHECK(expand("$$$${X}") == "$${X}");
  CHECK(expand("$2b$10$abc") == "$2b$10$abc");
  CHECK(expand("cost: 5$") == "cost: 5$");
}

TEST_CASE("interpolate does not interpolate values again") {
  CHECK(expand("${A}", {{"A", "${B}"}, {"B", "no"}}) == "${B}");
  CHECK(expand("${A}", {{"A", "$$"}}) == "$$");
  CHECK(expand("${A:-x}", {{"A", "${B}"}}) == "${B}");
}

TEST_CASE("interpolate: an unset variable without default is an error naming it") {
  CHECK(expand_error("https://${ES_HOST}/") ==
        "p.yaml:4:9: pipeline.outputs[0].url: environment variable 'ES_HOST' is not set");
  CHECK(expand_error("${A}${B}", {{"A", "a"}}) ==
        "p.yaml:4:9: pipeline.outputs[0].url: environment variable 'B' is not set");
}

TEST_CASE("interpolate: broken syntax is an error") {
  CHECK(expand_error("${HOST") ==
        "p.yaml:4:9: pipeline.outputs[0].url: unterminated '${' (write '$$' for a literal '$')");
  CHECK(expand_error("x${") ==
        "p.yaml:4:9: pipeline.outputs[0].url: unterminated '${' (write '$$' for a literal '$')");
  CHECK(expand_error("${}") ==
        "p.yaml:4:9: pipeline.outputs[0].url: invalid variable name '' (letters, digits and "
        "'_', not starting with a digit)");
  CHECK(expand_error("${1X}") ==
        "p.yaml:4:9: pipeline.outputs[0].url: invalid variable name '1X' (letters, digits and "
        "'_', not starting with a digit)");
  CHECK(expand_error("${A-B}") ==
        "p.yaml:4:9: pipeline.outputs[0].url: invalid variable name 'A-B' (letters, digits and "
        "'_', not starting with a digit)");
  CHECK(expand_error("${A:-${B}}") ==
        "p.yaml:4:9: pipeline.outputs[0].url: the default of 'A' cannot contain '${'");
}

TEST_CASE("process_env reads the process environment") {
  REQUIRE(setenv("AUDITRELAY_CONFIG_TEST_VAR", "from-env", 1) == 0);
  CHECK(process_env("AUDITRELAY_CONFIG_TEST_VAR") == std::optional<std::string>("from-env"));
  REQUIRE(unsetenv("AUDITRELAY_CONFIG_TEST_VAR") == 0);
  CHECK_FALSE(process_env("AUDITRELAY_CONFIG_TEST_VAR").has_value());
}

TEST_CASE("interpolation applies to every scalar value before conversion") {
  const PipelineConfig config = test::load_test_config(
      "service:\n"
      "  log_level: ${LEVEL}\n"
      "  shutdown_timeout: ${WAIT:-3s}\n"
      "pipeline:\n"
      "  inputs:\n"
      "    - type: ${KIND}\n"
      "      name: ${NAME}\n"
      "      paths: [\"${DIR}/a.jsonl\", \"$${literal}\"]\n"
      "  outputs:\n"
      "    - type: stdout\n"
      "      pretty: ${PRETTY}\n",
      {{"LEVEL", "debug"}, {"KIND", "tail"}, {"NAME", "gw"}, {"DIR", "/logs"}, {"PRETTY", "yes"}});
  CHECK(config.service.string("log_level") == "debug");
  CHECK(config.service.duration("shutdown_timeout") == std::chrono::seconds(3));
  REQUIRE(config.inputs.size() == 1);
  CHECK(config.inputs[0].type == "tail");
  CHECK(config.inputs[0].name == "gw");
  CHECK(config.inputs[0].settings.strings("paths") ==
        std::vector<std::string>{"/logs/a.jsonl", "/etc/auditrelay/${literal}"});
  CHECK(config.outputs[0].settings.boolean("pretty"));
}

TEST_CASE("interpolation leaves keys alone") {
  CHECK(test::config_error("pipeline:\n"
                           "  inputs:\n"
                           "    - type: tail\n"
                           "      paths: /x\n"
                           "      ${KEY}: 1\n"
                           "  outputs: [{type: stdout}]\n",
                           {{"KEY", "schema"}}) ==
        "pipeline.yaml:5:7: pipeline.inputs[0].${KEY}: unknown key '${KEY}'");
}

TEST_CASE("interpolation errors carry the value's position and key path") {
  CHECK(test::config_error("pipeline:\n"
                           "  inputs:\n"
                           "    - type: tail\n"
                           "      paths:\n"
                           "        - /a\n"
                           "        - ${LOG_DIR}/b\n"
                           "  outputs: [{type: stdout}]\n") ==
        "pipeline.yaml:6:11: pipeline.inputs[0].paths[1]: environment variable 'LOG_DIR' is not "
        "set");
}

}  // namespace
}  // namespace auditrelay
