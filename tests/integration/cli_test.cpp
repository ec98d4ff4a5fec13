// The command line: exit codes, messages, and the normalize command.
#include <doctest/doctest.h>

#include <filesystem>
#include <vector>

#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("version and help") {
  TempDir dir;
  auto r = run_agent({"version"}, dir.path());
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "auditrelay "));
  for (const char* sub : {"run", "check", "normalize", "version"}) {
    auto h = run_agent({sub, "--help"}, dir.path());
    CHECK(h.exit_code == 0);
    CHECK(contains(h.out, "Usage"));
  }
}

TEST_CASE("usage errors exit 2") {
  TempDir dir;
  CHECK(run_agent({}, dir.path()).exit_code == 2);
  CHECK(run_agent({"check"}, dir.path()).exit_code == 2);
  CHECK(run_agent({"check", "-c", (dir / "missing.yaml").string()}, dir.path()).exit_code == 2);
  CHECK(run_agent({"frobnicate"}, dir.path()).exit_code == 2);
}

TEST_CASE("check prints the effective pipeline with secrets masked") {
  TempDir dir;
  write_file(dir / "token", "s3cr3t-token-value\n");
  write_tail_to_file_config(dir);
  auto r = run_agent({"check", "-c", (dir / "agent.yaml").string()}, dir.path());
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "refresh_interval"));
  CHECK(contains(r.out, (dir / "in").string()));  // relative paths resolved
  CHECK(contains(r.out, "max_record_bytes"));     // defaults shown
}

TEST_CASE("check refuses a bad config with file, line, column and key path") {
  TempDir dir;
  write_file(dir / "bad.yaml",
             "pipeline:\n"
             "  inputs:\n"
             "    - type: tail\n"
             "      paths: [x.jsonl]\n"
             "      read_from_haed: true\n"
             "  outputs:\n"
             "    - type: stdout\n");
  auto r = run_agent({"check", "-c", (dir / "bad.yaml").string()}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "bad.yaml:5:7"));
  CHECK(contains(r.err, "pipeline.inputs[0].read_from_haed"));
  CHECK(contains(r.err, "read_from_head"));  // the hint
}

TEST_CASE("check refuses an invalid data stream namespace") {
  TempDir dir;
  write_file(dir / "bad.yaml",
             "pipeline:\n"
             "  normalize: {namespace: Prod-EU}\n"
             "  inputs: [{type: tail, paths: [x.jsonl]}]\n"
             "  outputs: [{type: stdout}]\n");
  auto r = run_agent({"check", "-c", (dir / "bad.yaml").string()}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "pipeline.normalize.namespace"));
}

TEST_CASE("check refuses an invalid data stream dataset") {
  TempDir dir;
  // '-' separates the parts of logs-<dataset>-<namespace>: not allowed inside one.
  write_file(dir / "bad.yaml",
             "pipeline:\n"
             "  normalize: {dataset: policy-gateway.Audit, namespace: prod}\n"
             "  inputs: [{type: tail, paths: [x.jsonl]}]\n"
             "  outputs: [{type: stdout}]\n");
  auto r = run_agent({"check", "-c", (dir / "bad.yaml").string()}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "pipeline.normalize.dataset"));
  CHECK(contains(r.err, "logs-<dataset>-<namespace>"));
  CHECK_FALSE(contains(r.err, "pipeline.normalize.namespace"));
}

TEST_CASE("run refuses a bad config the same way, exit 1") {
  TempDir dir;
  write_file(dir / "bad.yaml", "pipeline:\n  inputs: []\n  outputs: [{type: stdout}]\n");
  auto r = run_agent({"run", "-c", (dir / "bad.yaml").string()}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "bad.yaml:2"));
}

TEST_CASE("normalize: documents on stdout, rejections on stderr, exit 3 when some rejected") {
  TempDir dir;
  write_file(dir / "in.jsonl", gateway_record(1) + "\nnot json\n" + gateway_record(2) + "\n");
  auto r = run_agent({"normalize", "--schema", "policy_gateway", "--namespace", "prod",
                      (dir / "in.jsonl").string()},
                     dir.path());
  CHECK(r.exit_code == 3);
  CHECK(contains(r.out, "\"namespace\":\"prod\""));
  CHECK(contains(r.out, "seq-1"));
  CHECK(contains(r.out, "seq-2"));
  CHECK(contains(r.err, "in.jsonl:95: invalid_json"));

  write_file(dir / "good.jsonl", gateway_record(3) + "\n");
  auto ok = run_agent({"normalize", (dir / "good.jsonl").string()}, dir.path());
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.out, "seq-3"));
}

TEST_CASE("normalize reads stdin, and gives the same ids for the same input") {
  TempDir dir;
  write_file(dir / "in.jsonl", gateway_record(1) + "\n" + gateway_record(1) + "\n");
  auto a = run_agent({"normalize"}, dir.path(), std::chrono::seconds(30), dir / "in.jsonl");
  auto b = run_agent({"normalize", "-"}, dir.path(), std::chrono::seconds(30), dir / "in.jsonl");
  CHECK(a.exit_code == 0);
  CHECK(a.out == b.out);
  auto lines = read_lines(dir / "agent.stdout");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] != lines[1]);  // identical lines at two positions: two ids
}

TEST_CASE("every example configuration in conf/ passes check, secrets masked") {
  TempDir dir;
  const std::vector<std::string> env = {
      "ELASTIC_API_KEY=ZXhhbXBsZTprZXk=", "SPLUNK_HEC_TOKEN=11111111-2222-3333-4444-555555555555",
      "WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "AUDITRELAY_HTTP_TOKEN=http-token-Zq81bXv0"};
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() / "conf")) {
    if (entry.path().extension() != ".yaml") continue;
    auto r = run_agent({"check", "-c", entry.path().string()}, dir.path(), std::chrono::seconds(30),
                       std::nullopt, env);
    const std::string what = entry.path().string() + ": " + r.err;
    CHECK_MESSAGE(r.exit_code == 0, what);
    CHECK(!contains(r.out, "ZXhhbXBsZTprZXk="));
    CHECK(!contains(r.out, "11111111-2222-3333-4444-555555555555"));
    CHECK(!contains(r.out, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    CHECK(!contains(r.out, "http-token-Zq81bXv0"));
  }
}
