// SIGHUP with the real binary: a valid configuration replaces the running pipeline without
// losing or repeating a record; an invalid one is refused and the running pipeline kept.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <filesystem>
#include <set>

#include "tests/integration/agent_process.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;

namespace {

bool logged(const TempDir& dir, const std::string& text, size_t times = 1) {
  const std::string log = read_file(dir / "agent0.stderr");
  size_t count = 0;
  for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1))
    ++count;
  return count >= times;
}

// The sequence numbers of the documents in FILE; every line must be a whole document once the
// count has been waited for.
std::multiset<int> seqs(const std::filesystem::path& file) {
  std::multiset<int> out;
  for (const auto& line : read_lines(file)) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    if (doc.HasParseError()) continue;  // being written
    std::string code = doc["policy"]["reason_code"].GetString();
    out.insert(std::stoi(code.substr(4)));
  }
  return out;
}

void append_records(const TempDir& dir, int from, int to) {
  std::string lines;
  for (int i = from; i < to; ++i)
    lines += gateway_record(i) + "\n";
  append_file(dir / "in" / "a.jsonl", lines);
}

const std::string kTwoOutputs =
    "    - name: one\n      type: file\n      path: one.ndjson\n"
    "    - name: two\n      type: file\n      path: two.ndjson\n";

}  // namespace

TEST_CASE("SIGHUP: a new output is added; the running one neither loses nor repeats a record") {
  TempDir dir;
  TailToFile config;
  config.read_from_head = true;
  config.output_yaml = "    - name: one\n      type: file\n      path: one.ndjson\n";
  write_tail_to_file_config(dir, config);
  append_records(dir, 0, 100);
  auto agent = start_agent(dir);
  REQUIRE(wait_until([&] { return seqs(dir / "one.ndjson").size() == 100; }));

  config.output_yaml = kTwoOutputs;
  write_tail_to_file_config(dir, config);
  agent->signal(SIGHUP);
  REQUIRE(wait_until([&] { return logged(dir, "engine: reloaded"); }));
  append_records(dir, 100, 200);
  REQUIRE(wait_until([&] { return seqs(dir / "one.ndjson").size() >= 200; }));
  // The new output starts at the oldest record still buffered, so it has the records read after
  // the reload, and maybe some from before it.
  REQUIRE(wait_until([&] { return seqs(dir / "two.ndjson").count(199) == 1; }));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);

  const std::multiset<int> one = seqs(dir / "one.ndjson");
  CHECK(one.size() == 200);
  for (int i = 0; i < 200; ++i)
    CHECK_MESSAGE(one.count(i) == 1, "record " << i);
  const std::multiset<int> two = seqs(dir / "two.ndjson");
  for (int i = 100; i < 200; ++i)
    CHECK_MESSAGE(two.count(i) == 1, "record " << i);
  // The tail input kept its offset: nothing was read twice.
  CHECK(logged(dir, "resumed=true"));
}

TEST_CASE(
    "SIGHUP: an invalid configuration is refused with file, line and key; the pipeline runs on") {
  TempDir dir;
  TailToFile config;
  config.read_from_head = true;
  const auto path = write_tail_to_file_config(dir, config);
  append_records(dir, 0, 10);
  auto agent = start_agent(dir);
  REQUIRE(wait_until([&] { return read_lines(dir / "out.ndjson").size() == 10; }));

  const std::string good = read_file(path);
  write_file(path, good + "    - name: broken\n      type: file\n      pathh: x.ndjson\n");
  agent->signal(SIGHUP);
  REQUIRE(wait_until([&] { return logged(dir, "reload refused, the running pipeline is kept"); }));
  CHECK(logged(dir, "agent.yaml:"));
  CHECK(logged(dir, "pathh"));
  // storage.path may not change without a restart.
  write_file(path, good);
  std::string moved = good;
  moved.replace(moved.find("storage: "), 9, "storage: {path: elsewhere} #");
  write_file(path, moved);
  agent->signal(SIGHUP);
  REQUIRE(wait_until([&] { return logged(dir, "service.storage.path changed"); }));

  append_records(dir, 10, 20);
  REQUIRE(wait_until([&] { return read_lines(dir / "out.ndjson").size() == 20; }));
  CHECK_FALSE(logged(dir, "engine: reloaded"));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  CHECK(read_lines(dir / "out.ndjson").size() == 20);
}
