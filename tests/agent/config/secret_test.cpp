// Secrets: inline or as `<key>_file`, never repeated in errors or rendered output.
#include <doctest/doctest.h>

#include "agent/config/config.h"
#include "tests/agent/config/test_schema.h"
#include "tests/support/temp_dir.h"

namespace auditrelay {
namespace {

// A pipeline with one http input (mapping on line 3) whose extra `lines` start on line 5.
std::string http_config(std::string_view lines) {
  return "pipeline:\n"
         "  inputs:\n"
         "    - type: http\n"
         "      listen: 127.0.0.1:8088\n" +
         std::string(lines) + "  outputs: [{type: stdout}]\n";
}

PipelineConfig load_in(const test::TempDir& dir, std::string_view yaml,
                       std::map<std::string, std::string> vars = {}) {
  return load_config_text(yaml, "p.yaml", dir.path(), test::test_schema(),
                          test::fake_env(std::move(vars)));
}

std::string error_in(const test::TempDir& dir, std::string_view yaml) {
  try {
    load_in(dir, yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("an inline secret is stored, marked secret and given") {
  test::TempDir dir;
  const PipelineConfig config =
      load_in(dir, http_config("      token: ${TOKEN}\n"), {{"TOKEN", "inline-secret"}});
  const Settings& settings = config.inputs[0].settings;
  CHECK(settings.string("token") == "inline-secret");
  CHECK(settings.given("token"));
  CHECK(settings.entries().at("token").secret);
}

TEST_CASE("a _file secret is read relative to the base dir, trailing newlines removed") {
  test::TempDir dir;
  std::filesystem::create_directory(dir / "secrets");
  test::write_file(dir / "secrets" / "token", "file-secret\r\n");
  const PipelineConfig config = load_in(dir, http_config("      token_file: secrets/token\n"));
  const Settings& settings = config.inputs[0].settings;
  CHECK(settings.string("token") == "file-secret");
  CHECK(settings.given("token"));
  CHECK(settings.entries().at("token").secret);
  CHECK(settings.keys() == std::vector<std::string>{"listen", "token"});
  CHECK(std::string(settings.error("token", "rejected").what()) ==
        "p.yaml:5:7: pipeline.inputs[0].token: rejected");

  test::write_file(dir / "secrets" / "token", "line1\nline2\n\n");
  CHECK(load_in(dir, http_config("      token_file: ${DIR}/token\n"),
                {{"DIR", (dir / "secrets").string()}})
            .inputs[0]
            .settings.string("token") == "line1\nline2");
  // Only newlines are trimmed, not other whitespace.
  test::write_file(dir / "secrets" / "token", " padded \t");
  CHECK(load_in(dir, http_config("      token_file: secrets/token\n"))
            .inputs[0]
            .settings.string("token") == " padded \t");
}

TEST_CASE("an unreadable secret file names the path and the reason") {
  test::TempDir dir;
  CHECK(error_in(dir, http_config("      token_file: missing.token\n")) ==
        "p.yaml:5:19: pipeline.inputs[0].token_file: cannot read secret file '" +
            (dir / "missing.token").string() + "': No such file or directory");
  CHECK(error_in(dir, http_config("      token_file: .\n")) ==
        "p.yaml:5:19: pipeline.inputs[0].token_file: cannot read secret file '" +
            dir.path().string() + "/': Is a directory");
  CHECK(error_in(dir, http_config("      token_file: ''\n")) ==
        "p.yaml:5:19: pipeline.inputs[0].token_file: expected a path, found ''");
}

TEST_CASE("an empty or oversized secret file is an error that does not show the content") {
  test::TempDir dir;
  test::write_file(dir / "empty", "");
  CHECK(error_in(dir, http_config("      token_file: empty\n")) ==
        "p.yaml:5:19: pipeline.inputs[0].token_file: secret file '" + (dir / "empty").string() +
            "' is empty");
  test::write_file(dir / "newline", "\r\n\n");
  CHECK(error_in(dir, http_config("      token_file: newline\n")) ==
        "p.yaml:5:19: pipeline.inputs[0].token_file: secret file '" + (dir / "newline").string() +
            "' is empty");
  test::write_file(dir / "big", std::string(64 * 1024 + 1, 'k'));
  CHECK(error_in(dir, http_config("      token_file: big\n")) ==
        "p.yaml:5:19: pipeline.inputs[0].token_file: secret file '" + (dir / "big").string() +
            "' is larger than 64 KiB");
}

TEST_CASE("a secret given both inline and as a file is an error at the second") {
  test::TempDir dir;
  test::write_file(dir / "token", "x\n");
  CHECK(error_in(dir, http_config("      token: a\n      token_file: token\n")) ==
        "p.yaml:6:7: pipeline.inputs[0].token_file: 'token' and 'token_file' are both set; set "
        "only one");
  // Caught before the file is read, so the conflict is what is reported.
  CHECK(error_in(dir, http_config("      token_file: nope\n      token: a\n")) ==
        "p.yaml:6:7: pipeline.inputs[0].token: 'token' and 'token_file' are both set; set only "
        "one");
}

TEST_CASE("a required secret names both of its forms when missing") {
  test::TempDir dir;
  CHECK(error_in(dir, http_config("")) ==
        "p.yaml:3:7: pipeline.inputs[0].token: missing required key 'token' (or 'token_file')");
}

TEST_CASE("_file is only a form of secret keys") {
  test::TempDir dir;
  CHECK(error_in(dir, http_config("      token: t\n      listen_file: x\n")) ==
        "p.yaml:6:7: pipeline.inputs[0].listen_file: unknown key 'listen_file'");
}

TEST_CASE("render_effective_config never shows a secret") {
  test::TempDir dir;
  test::write_file(dir / "hec.token", "from-the-file\n");
  const PipelineConfig config = load_in(dir,
                                        "pipeline:\n"
                                        "  inputs:\n"
                                        "    - type: http\n"
                                        "      listen: 127.0.0.1:8088\n"
                                        "      token: ${HTTP_TOKEN}\n"
                                        "  outputs:\n"
                                        "    - type: file\n"
                                        "      path: out.ndjson\n"
                                        "      token_file: hec.token\n",
                                        {{"HTTP_TOKEN", "from-the-env"}});
  REQUIRE(config.inputs[0].settings.string("token") == "from-the-env");
  REQUIRE(config.outputs[0].settings.string("token") == "from-the-file");
  const std::string rendered = render_effective_config(config);
  CHECK(rendered.find("from-the-env") == std::string::npos);
  CHECK(rendered.find("from-the-file") == std::string::npos);
  CHECK(rendered.find("token_file") == std::string::npos);
  CHECK(rendered.find("hec.token") == std::string::npos);
  CHECK(rendered.find("      listen: 127.0.0.1:8088\n      token: <redacted>\n") !=
        std::string::npos);
  CHECK(rendered.find("      path: " + (dir / "out.ndjson").string() +
                      "\n      token: <redacted>\n") != std::string::npos);
}

}  // namespace
}  // namespace auditrelay
