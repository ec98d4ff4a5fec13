// Every kind of configuration error, with its exact file:line:col, key path and message.
#include <doctest/doctest.h>

#include "agent/config/config.h"
#include "tests/agent/config/test_schema.h"

namespace auditrelay {
namespace {

using test::config_error;

// A pipeline whose only input is of `type`, its mapping starting on line 4 column 7; `lines`
// (indented by six spaces) follow from line 5.
std::string input_error(std::string_view type, std::string_view lines) {
  return config_error(
      "pipeline:\n"
      "  outputs: [{type: stdout}]\n"
      "  inputs:\n"
      "    - type: " +
      std::string(type) + "\n" + std::string(lines));
}

constexpr std::string_view kPipeline =
    "pipeline:\n  inputs: [{type: tail, paths: x}]\n  outputs: [{type: stdout}]\n";

TEST_CASE("unknown keys name the key, its path and a close match") {
  CHECK(config_error("servce:\n  log_level: info\n" + std::string(kPipeline)) ==
        "pipeline.yaml:1:1: servce: unknown key 'servce' (did you mean 'service'?)");
  CHECK(config_error("service:\n  storage:\n    pth: /data\n" + std::string(kPipeline)) ==
        "pipeline.yaml:3:5: service.storage.pth: unknown key 'pth' (did you mean 'path'?)");
  CHECK(config_error("pipeline:\n  normalise: {}\n") ==
        "pipeline.yaml:2:3: pipeline.normalise: unknown key 'normalise' (did you mean "
        "'normalize'?)");
  CHECK(input_error("tail", "      pahts: /x\n") ==
        "pipeline.yaml:5:7: pipeline.inputs[0].pahts: unknown key 'pahts' (did you mean "
        "'paths'?)");
  CHECK(input_error("tail", "      paths: /x\n      colour: red\n") ==
        "pipeline.yaml:6:7: pipeline.inputs[0].colour: unknown key 'colour'");
  CHECK(input_error("http", "      listen: x\n      token_fil: /t\n") ==
        "pipeline.yaml:6:7: pipeline.inputs[0].token_fil: unknown key 'token_fil' (did you mean "
        "'token_file'?)");
  // Another plugin's key is unknown here.
  CHECK(input_error("tail", "      paths: /x\n      listen: x\n") ==
        "pipeline.yaml:6:7: pipeline.inputs[0].listen: unknown key 'listen'");
}

TEST_CASE("wrong types name the expected type and what was found") {
  CHECK(input_error("tail", "      paths: {a: 1}\n") ==
        "pipeline.yaml:5:14: pipeline.inputs[0].paths: expected a list of paths, found a mapping");
  CHECK(input_error("tail", "      paths: [/a, [b]]\n") ==
        "pipeline.yaml:5:19: pipeline.inputs[0].paths[1]: expected a path, found a sequence");
  CHECK(input_error("tail", "      paths: /x\n      exclude: [{a: b}]\n") ==
        "pipeline.yaml:6:17: pipeline.inputs[0].exclude[0]: expected a string, found a mapping");
  CHECK(input_error("tail", "      paths: /x\n      follow_symlinks: maybe\n") ==
        "pipeline.yaml:6:24: pipeline.inputs[0].follow_symlinks: expected a boolean "
        "(true/false/yes/no), found 'maybe'");
  CHECK(input_error("tail", "      paths: /x\n      state_file: [a]\n") ==
        "pipeline.yaml:6:19: pipeline.inputs[0].state_file: expected a path, found a sequence");
  // An empty value is null, reported at its key.
  CHECK(input_error("http", "      listen:\n      token: t\n") ==
        "pipeline.yaml:5:7: pipeline.inputs[0].listen: expected a string, found null");
  CHECK(config_error("service:\n  log_level: [debug]\n" + std::string(kPipeline)) ==
        "pipeline.yaml:2:14: service.log_level: expected one of [debug, info, warn, error], "
        "found a sequence");
  CHECK(config_error("service:\n  storage: fast\n" + std::string(kPipeline)) ==
        "pipeline.yaml:2:12: service.storage: expected a mapping, found 'fast'");
  CHECK(config_error("service:\n" + std::string(kPipeline)) ==
        "pipeline.yaml:1:1: service: expected a mapping, found null");
  CHECK(config_error("pipeline:\n  normalize: {max_depth: 1.5}\n") ==
        "pipeline.yaml:2:26: pipeline.normalize.max_depth: expected an integer, found '1.5'");
  CHECK(config_error("pipeline: [inputs]\n") ==
        "pipeline.yaml:1:11: pipeline: expected a mapping, found a sequence");
}

TEST_CASE("bad enum, duration and size values") {
  CHECK(input_error("tail", "      paths: /x\n      read_from: middle\n") ==
        "pipeline.yaml:6:18: pipeline.inputs[0].read_from: expected one of [head, tail], found "
        "'middle'");
  CHECK(input_error("tail", "      paths: /x\n      poll_interval: 5 parsecs\n") ==
        "pipeline.yaml:6:22: pipeline.inputs[0].poll_interval: expected a duration such as "
        "250ms, 5s, 2m or 1h, found '5 parsecs'");
  CHECK(input_error("tail", "      paths: /x\n      max_line: -1\n") ==
        "pipeline.yaml:6:17: pipeline.inputs[0].max_line: expected a size such as 512KiB, "
        "64MiB, 2GiB or 10MB, found '-1'");
  CHECK(input_error("tail", "      paths: /x\n      max_line: 99999999999TiB\n") ==
        "pipeline.yaml:6:17: pipeline.inputs[0].max_line: expected a size such as 512KiB, "
        "64MiB, 2GiB or 10MB, found '99999999999TiB'");
}

TEST_CASE("missing required keys are reported at the enclosing mapping") {
  CHECK(input_error("tail", "      schema: auto\n") ==
        "pipeline.yaml:4:7: pipeline.inputs[0].paths: missing required key 'paths'");
  CHECK(config_error("service: {log_level: info}\n") ==
        "pipeline.yaml:1:1: pipeline: missing required key 'pipeline'");
  CHECK(config_error("pipeline:\n  inputs: [{type: tail, paths: x}]\n") ==
        "pipeline.yaml:2:3: pipeline.outputs: missing required key 'outputs'");
  CHECK(config_error("pipeline:\n  outputs: [{type: stdout}]\n") ==
        "pipeline.yaml:2:3: pipeline.inputs: missing required key 'inputs'");
  CHECK(config_error("pipeline:\n  inputs:\n    - paths: x\n") ==
        "pipeline.yaml:3:7: pipeline.inputs[0].type: missing required key 'type'");
}

TEST_CASE("inputs and outputs must be non-empty lists of mappings") {
  CHECK(config_error("pipeline:\n  inputs: []\n  outputs: [{type: stdout}]\n") ==
        "pipeline.yaml:2:11: pipeline.inputs: at least one input is required");
  CHECK(config_error("pipeline:\n  inputs: [{type: tail, paths: x}]\n  outputs: []\n") ==
        "pipeline.yaml:3:12: pipeline.outputs: at least one output is required");
  CHECK(config_error("pipeline:\n  inputs:\n  outputs: [{type: stdout}]\n") ==
        "pipeline.yaml:2:3: pipeline.inputs: expected a list of inputs, found null");
  CHECK(config_error("pipeline:\n  inputs: {type: tail}\n") ==
        "pipeline.yaml:2:11: pipeline.inputs: expected a list of inputs, found a mapping");
  CHECK(config_error("pipeline:\n  inputs: [tail]\n") ==
        "pipeline.yaml:2:12: pipeline.inputs[0]: expected a mapping with a 'type', found 'tail'");
}

TEST_CASE("unknown plugin types list the known ones") {
  CHECK(input_error("tial", "      paths: /x\n") ==
        "pipeline.yaml:4:13: pipeline.inputs[0].type: unknown input type 'tial' (known: http, "
        "tail)");
  CHECK(config_error("pipeline:\n  inputs: [{type: tail, paths: x}]\n  outputs:\n"
                     "    - type: stdout\n    - type: elastic\n") ==
        "pipeline.yaml:5:13: pipeline.outputs[1].type: unknown output type 'elastic' (known: "
        "file, stdout)");
  CHECK(input_error("[tail]", "") ==
        "pipeline.yaml:4:13: pipeline.inputs[0].type: expected a string, found a sequence");
}

TEST_CASE("instance names are unique across inputs and outputs") {
  CHECK(config_error("pipeline:\n"
                     "  inputs:\n"
                     "    - type: tail\n"
                     "      paths: /x\n"
                     "  outputs:\n"
                     "    - type: stdout\n"
                     "    - type: stdout\n") ==
        "pipeline.yaml:7:7: pipeline.outputs[1]: duplicate name 'stdout' (already used by "
        "pipeline.outputs[0] on line 6); give each a unique 'name'");
  CHECK(config_error("pipeline:\n"
                     "  inputs:\n"
                     "    - type: tail\n"
                     "      paths: /x\n"
                     "      name: main\n"
                     "  outputs:\n"
                     "    - type: stdout\n"
                     "      name: main\n") ==
        "pipeline.yaml:8:13: pipeline.outputs[0].name: duplicate name 'main' (already used by "
        "pipeline.inputs[0] on line 5); give each a unique 'name'");
  // A name may take another instance's default name only if that one is renamed.
  CHECK(config_error("pipeline:\n"
                     "  inputs: [{type: tail, paths: x}]\n"
                     "  outputs: [{type: stdout, name: tail}]\n") ==
        "pipeline.yaml:3:34: pipeline.outputs[0].name: duplicate name 'tail' (already used by "
        "pipeline.inputs[0] on line 2); give each a unique 'name'");
  CHECK(input_error("tail", "      paths: x\n      name: ../escape\n") ==
        "pipeline.yaml:6:13: pipeline.inputs[0].name: invalid name '../escape' (letters, "
        "digits, '_', '-' and '.', not starting with '-' or '.')");
  CHECK(config_error("pipeline:\n"
                     "  inputs: [{type: tail, paths: x, name: a}, {type: tail, paths: y}]\n"
                     "  outputs: [{type: stdout}]\n") == "");
}

TEST_CASE("a key repeated in one mapping is an error") {
  CHECK(input_error("tail", "      paths: /a\n      paths: /b\n") ==
        "pipeline.yaml:6:7: pipeline.inputs[0].paths: duplicate key 'paths' (first on line 5)");
  CHECK(config_error("pipeline: {}\npipeline: {}\n") ==
        "pipeline.yaml:2:1: pipeline: duplicate key 'pipeline' (first on line 1)");
  CHECK(config_error("service: {log_level: info, log_level: warn}\n" + std::string(kPipeline)) ==
        "pipeline.yaml:1:28: service.log_level: duplicate key 'log_level' (first on line 1)");
  CHECK(input_error("tail", "      type: tail\n") ==
        "pipeline.yaml:5:7: pipeline.inputs[0].type: duplicate key 'type' (first on line 4)");
}

TEST_CASE("the document must be one YAML mapping") {
  CHECK(config_error("- a\n- b\n") ==
        "pipeline.yaml:1:1: expected a mapping with 'service' and 'pipeline', found a sequence");
  CHECK(config_error("just text\n") ==
        "pipeline.yaml:1:1: expected a mapping with 'service' and 'pipeline', found 'just text'");
  CHECK(config_error("") == "pipeline.yaml:1:1: the configuration is empty");
  CHECK(config_error("# only a comment\n") == "pipeline.yaml:1:1: the configuration is empty");
  CHECK(config_error(std::string(kPipeline) + "---\nservice: {}\n") ==
        "pipeline.yaml:5:1: expected one YAML document, found 2");
  CHECK(config_error("? [a]\n: 1\n") ==
        "pipeline.yaml:1:3: keys must be strings, found a sequence");
}

TEST_CASE("YAML syntax errors carry yaml-cpp's position, 1-based") {
  CHECK(config_error("pipeline:\n  inputs: [a, b\n") ==
        "pipeline.yaml:3:1: invalid YAML: end of sequence flow not found");
  CHECK(config_error("service: info\n  log_level: x\n") ==
        "pipeline.yaml:2:12: invalid YAML: illegal map value");
  CHECK(config_error("service: *nope\n") ==
        "pipeline.yaml:1:10: invalid YAML: the referenced anchor is not defined");
}

TEST_CASE("an aliased value is reported at its key, not at the anchor") {
  CHECK(config_error("service:\n"
                     "  storage: {path: &p /data}\n"
                     "  log_level: *p\n" +
                     std::string(kPipeline)) ==
        "pipeline.yaml:3:3: service.log_level: expected one of [debug, info, warn, error], found "
        "'/data'");
}

}  // namespace
}  // namespace auditrelay
