// Rotation while lines are being written: every line arrives once, none is lost.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <filesystem>
#include <set>

#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;
namespace fs = std::filesystem;

namespace {

std::multiset<int> delivered(const TempDir& dir) {
  std::multiset<int> seqs;
  for (const auto& line : read_lines(dir / "out.ndjson")) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    if (doc.HasParseError()) continue;
    std::string code = doc["policy"]["reason_code"].GetString();
    seqs.insert(std::stoi(code.substr(4)));
  }
  return seqs;
}

void check_each_once(const std::multiset<int>& got, int n) {
  CHECK(got.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (got.count(i) != 1) FAIL_CHECK("record " << i << " delivered " << got.count(i) << " times");
  }
}

std::unique_ptr<Process> start_agent(const TempDir& dir) {
  return std::make_unique<Process>(
      std::vector<std::string>{agent_binary(), "run", "-c", (dir / "agent.yaml").string()},
      dir / "agent.stdout", dir / "agent.stderr");
}

void stop(Process& agent) {
  agent.signal(SIGTERM);
  CHECK(agent.wait(std::chrono::seconds(30)) == 0);
}

}  // namespace

// Writes 8 generations of audit.jsonl, renaming each away while lines are still being written
// to it (the writer reopens a little later, as a real one does after its rotate signal).
// `wait_seen`: before each rename, wait until the agent has taken at least one line of the
// live file, i.e. has found it; a file renamed out of the glob before the agent ever saw it
// cannot be followed by any tailer.
static int write_with_rename_rotations(const TempDir& dir, bool wait_seen) {
  const fs::path live = dir / "in" / "audit.jsonl";
  int seq = 0;
  for (int rotation = 0; rotation < 8; ++rotation) {
    int first_of_file = seq;
    for (int i = 0; i < 40; ++i)
      append_file(live, gateway_record(seq++) + "\n");
    if (wait_seen) {
      REQUIRE(wait_until([&] { return delivered(dir).count(first_of_file) > 0; }));
    }
    fs::path rotated = dir / "in" / ("audit.jsonl." + std::to_string(rotation));
    fs::rename(live, rotated);
    for (int i = 0; i < 5; ++i)
      append_file(rotated, gateway_record(seq++) + "\n");
    for (int i = 0; i < 5; ++i)
      append_file(live, gateway_record(seq++) + "\n");
  }
  return seq;
}

TEST_CASE("rename rotation while writing: the old file is drained, the new one read") {
  TempDir dir;
  write_tail_to_file_config(dir, {.input_glob = "in/audit.jsonl"});
  auto agent = start_agent(dir);
  int n = write_with_rename_rotations(dir, true);
  REQUIRE(wait_until([&] { return delivered(dir).size() >= static_cast<size_t>(n); }));
  stop(*agent);
  check_each_once(delivered(dir), n);
}

TEST_CASE("rename rotation with a glob that also matches rotated names: no duplicates") {
  // Files are followed by identity, so a rotated file that still matches is the same file.
  TempDir dir;
  write_tail_to_file_config(dir, {.input_glob = "in/audit.jsonl*"});
  auto agent = start_agent(dir);
  int n = write_with_rename_rotations(dir, false);
  REQUIRE(wait_until([&] { return delivered(dir).size() >= static_cast<size_t>(n); }));
  stop(*agent);
  check_each_once(delivered(dir), n);
}

TEST_CASE("copytruncate while writing: the shrink is seen and the file re-read from 0") {
  TempDir dir;
  write_tail_to_file_config(dir, {.input_glob = "in/audit.jsonl"});
  auto agent = start_agent(dir);
  const fs::path live = dir / "in" / "audit.jsonl";
  int seq = 0;
  for (int rotation = 0; rotation < 6; ++rotation) {
    for (int i = 0; i < 30; ++i)
      append_file(live, gateway_record(seq++) + "\n");
    // copytruncate copies, then truncates: lines written between the two are lost by design
    // of copytruncate itself, so the test truncates once the agent has read what was written.
    int written = seq;
    REQUIRE(wait_until([&] { return delivered(dir).size() >= static_cast<size_t>(written); }));
    fs::copy_file(live, dir / "in" / ("audit.jsonl." + std::to_string(rotation)));
    fs::resize_file(live, 0);
    // The writer goes on at once; the file may outgrow the old offset before the agent looks.
    for (int i = 0; i < 60; ++i)
      append_file(live, gateway_record(seq++) + "\n");
  }
  REQUIRE(wait_until([&] { return delivered(dir).size() >= static_cast<size_t>(seq); }));
  stop(*agent);
  check_each_once(delivered(dir), seq);
  CHECK(read_file(dir / "agent.stderr").find("file truncated") != std::string::npos);
}

TEST_CASE("a deleted file is released and a new file of the same name is read") {
  TempDir dir;
  write_tail_to_file_config(dir, {.input_glob = "in/*.jsonl"});
  auto agent = start_agent(dir);
  append_file(dir / "in" / "a.jsonl", gateway_record(0) + "\n");
  REQUIRE(wait_until([&] { return delivered(dir).size() == 1; }));
  fs::remove(dir / "in" / "a.jsonl");
  REQUIRE(wait_until(
      [&] { return read_file(dir / "agent.stderr").find("file released") != std::string::npos; }));
  append_file(dir / "in" / "a.jsonl", gateway_record(1) + "\n");
  REQUIRE(wait_until([&] { return delivered(dir).size() == 2; }));
  stop(*agent);
  check_each_once(delivered(dir), 2);
}
