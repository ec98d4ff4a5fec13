// tail → normalize → file with the real binary: delivery, dead letters, restarts, shutdown.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <set>

#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The sequence numbers of the documents written so far, in order. `while_running`: the agent
// may be in the middle of writing the last line, which is then skipped.
std::vector<int> delivered_seqs(const TempDir& dir, bool while_running = false) {
  std::vector<int> seqs;
  for (const auto& line : read_lines(dir / "out.ndjson")) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    if (while_running && doc.HasParseError()) continue;
    REQUIRE_FALSE(doc.HasParseError());
    std::string code = doc["policy"]["reason_code"].GetString();
    seqs.push_back(std::stoi(code.substr(4)));
  }
  return seqs;
}

void check_each_once(const std::vector<int>& seqs, int n) {
  std::multiset<int> got(seqs.begin(), seqs.end());
  CHECK(got.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (got.count(i) != 1) {
      FAIL_CHECK("record " << i << " delivered " << got.count(i) << " times");
    }
  }
}

std::vector<rapidjson::Document> dead_letters(const TempDir& dir) {
  std::vector<rapidjson::Document> out;
  for (const auto& line : read_lines(dir / "state" / "dead_letter.ndjson")) {
    out.emplace_back();
    out.back().Parse(line.c_str());
  }
  return out;
}

std::unique_ptr<Process> start_agent(const TempDir& dir, const std::string& tag = "") {
  return std::make_unique<Process>(
      std::vector<std::string>{agent_binary(), "run", "-c", (dir / "agent.yaml").string()},
      dir / ("agent" + tag + ".stdout"), dir / ("agent" + tag + ".stderr"));
}

}  // namespace

TEST_CASE("--once reads every file from its head, writes the documents and exits 0") {
  TempDir dir;
  write_tail_to_file_config(dir);
  std::string content;
  for (int i = 0; i < 500; ++i)
    content += gateway_record(i) + "\n";
  write_file(dir / "in" / "a.jsonl", content);
  auto r = run_agent({"run", "-c", (dir / "agent.yaml").string(), "--once"}, dir.path());
  CHECK(r.exit_code == 0);
  check_each_once(delivered_seqs(dir), 500);
  rapidjson::Document doc;
  doc.Parse(read_lines(dir / "out.ndjson").at(0).c_str());
  CHECK(std::string(doc["data_stream"]["namespace"].GetString()) == "test");
  CHECK(doc["event"]["id"].GetStringLength() == 32);
}

TEST_CASE("bad input goes to the dead-letter file with its reason; good records flow on") {
  TempDir dir;
  write_tail_to_file_config(dir, {.extra_input = "      max_record_bytes: 64KiB\n"});
  std::string bad_utf8 =
      "{\"policy_id\":\"p\xff\",\"decision\":\"allow\",\"created_at\":\"2026-01-01T00:00:00Z\"}";
  std::string deep(5000, '[');
  std::vector<std::pair<std::string, std::string>> cases{
      {"{\"policy_id\": \"p\", oops}", "invalid_json"},
      {std::string("\x01\x02\xfe\xff garbage\x00", 14), "invalid_json"},
      {bad_utf8, "invalid_utf8"},
      {std::string(200 * 1024, 'x'), "too_large"},
      {"", "empty"},
      {"[1,2,3]", "not_an_object"},
      {"42", "not_an_object"},
      {deep, "too_deep"},
      {R"({"decision":"allow","created_at":"2026-01-01T00:00:00Z"})", "missing_field"},
      {R"({"policy_id":"p","decision":"allow","created_at":"2026-01-01T00:00:00Z","enforced":"yes"})",
       "wrong_type"},
      {R"({"policy_id":"p","decision":"allow","created_at":"yesterday"})", "invalid_timestamp"},
  };
  std::string content;
  int seq = 0;
  for (const auto& c : cases)
    content += gateway_record(seq++) + "\n" + c.first + "\n";
  content += gateway_record(seq++) + "\n";
  write_file(dir / "in" / "a.jsonl", content);
  auto r = run_agent({"run", "-c", (dir / "agent.yaml").string(), "--once"}, dir.path());
  CHECK(r.exit_code == 0);
  check_each_once(delivered_seqs(dir), seq);
  auto dl = dead_letters(dir);
  REQUIRE(dl.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    CHECK(std::string(dl[i]["reason"].GetString()) == cases[i].second);
    CHECK(std::string(dl[i]["input"].GetString()) == "gateway");
    CHECK(contains(dl[i]["source"].GetString(), "a.jsonl"));
  }
  CHECK(dl[1].HasMember("raw_base64"));
  CHECK(dl[3]["truncated"].GetBool());
  CHECK(dl[3]["length"].GetUint64() == 200 * 1024);
}

TEST_CASE("a 10 MB line is rejected and the lines after it are read normally") {
  TempDir dir;
  write_tail_to_file_config(dir);
  std::string content =
      gateway_record(0) + "\n" + std::string(10 << 20, 'z') + "\n" + gateway_record(1) + "\n";
  write_file(dir / "in" / "a.jsonl", content);
  auto r = run_agent({"run", "-c", (dir / "agent.yaml").string(), "--once"}, dir.path());
  CHECK(r.exit_code == 0);
  check_each_once(delivered_seqs(dir), 2);
  auto dl = dead_letters(dir);
  REQUIRE(dl.size() == 1);
  CHECK(std::string(dl[0]["reason"].GetString()) == "too_large");
  CHECK(dl[0]["length"].GetUint64() == (10u << 20));
}

TEST_CASE("SIGTERM stops the agent cleanly; a restart resumes at the stored offset") {
  TempDir dir;
  write_tail_to_file_config(dir);
  std::string first;
  for (int i = 0; i < 100; ++i)
    first += gateway_record(i) + "\n";
  write_file(dir / "in" / "a.jsonl", first);
  {
    auto agent = start_agent(dir, "1");
    REQUIRE(wait_until([&] { return read_lines(dir / "out.ndjson").size() == 100; }));
    agent->signal(SIGTERM);
    auto code = agent->wait(std::chrono::seconds(30));
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(contains(read_file(dir / "agent1.stderr"), "stopped cleanly"));
  }
  // Written while the agent is down, including a partial line completed after the restart.
  std::string second;
  for (int i = 100; i < 150; ++i)
    second += gateway_record(i) + "\n";
  append_file(dir / "in" / "a.jsonl", second + gateway_record(150).substr(0, 20));
  auto agent = start_agent(dir, "2");
  REQUIRE(wait_until([&] { return read_lines(dir / "out.ndjson").size() == 150; }));
  append_file(dir / "in" / "a.jsonl", gateway_record(150).substr(20) + "\n");
  REQUIRE(wait_until([&] { return read_lines(dir / "out.ndjson").size() == 151; }));
  agent->signal(SIGINT);
  CHECK(agent->wait(std::chrono::seconds(30)) == 0);
  check_each_once(delivered_seqs(dir), 151);
}

TEST_CASE("files present at the very first start are read from their end without read_from_head") {
  TempDir dir;
  write_tail_to_file_config(dir, {.read_from_head = false});
  write_file(dir / "in" / "old.jsonl", gateway_record(999) + "\n");
  auto agent = start_agent(dir);
  REQUIRE(wait_until([&] { return contains(read_file(dir / "agent.stderr"), "following file"); }));
  append_file(dir / "in" / "old.jsonl", gateway_record(0) + "\n");
  write_file(dir / "in" / "new.jsonl", gateway_record(1) + "\n");
  REQUIRE(wait_until([&] { return read_lines(dir / "out.ndjson").size() == 2; }));
  agent->signal(SIGTERM);
  CHECK(agent->wait(std::chrono::seconds(30)) == 0);
  check_each_once(delivered_seqs(dir), 2);
}

TEST_CASE("log_format: json writes one JSON object per log line") {
  TempDir dir;
  write_tail_to_file_config(dir, {.extra_service = "  log_format: json\n"});
  write_file(dir / "in" / "a.jsonl", gateway_record(0) + "\n");
  auto r = run_agent({"run", "-c", (dir / "agent.yaml").string(), "--once"}, dir.path());
  CHECK(r.exit_code == 0);
  auto lines = read_lines(dir / "agent.stderr");
  REQUIRE_FALSE(lines.empty());
  for (const auto& line : lines) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    CHECK_FALSE(doc.HasParseError());
    CHECK(doc.HasMember("level"));
    CHECK(doc.HasMember("msg"));
  }
}

TEST_CASE("a first run that found no file still counts: files written while down are read") {
  TempDir dir;
  write_tail_to_file_config(dir, {.read_from_head = false});
  {
    auto agent = start_agent(dir, "1");
    REQUIRE(wait_until(
        [&] { return fs::exists(dir / "state" / "inputs" / "gateway" / "offsets.json"); }));
    agent->signal(SIGTERM);
    REQUIRE(agent->wait(std::chrono::seconds(30)) == 0);
  }
  write_file(dir / "in" / "a.jsonl", gateway_record(0) + "\n");
  auto agent = start_agent(dir, "2");
  REQUIRE(wait_until([&] { return read_lines(dir / "out.ndjson").size() == 1; }));
  agent->signal(SIGTERM);
  CHECK(agent->wait(std::chrono::seconds(30)) == 0);
}

TEST_CASE("--once reads every file even when they hold more than one read cycle") {
  TempDir dir;
  write_tail_to_file_config(dir);
  int seq = 0;
  for (int f = 0; f < 8; ++f) {
    std::string content;
    for (int i = 0; i < 8000; ++i)
      content += gateway_record(seq++) + "\n";
    write_file(dir / "in" / ("f" + std::to_string(f) + ".jsonl"), content);
  }
  auto r = run_agent({"run", "-c", (dir / "agent.yaml").string(), "--once"}, dir.path());
  CHECK(r.exit_code == 0);
  check_each_once(delivered_seqs(dir), seq);
}

TEST_CASE("offsets that cannot be saved: one error, records still delivered, a bounded stop") {
  TempDir dir;
  write_tail_to_file_config(dir);
  fs::create_directories(dir / "state" / "inputs" / "gateway" / "offsets.json.tmp");
  write_file(dir / "in" / "a.jsonl", gateway_record(0) + "\n");
  auto agent = start_agent(dir);
  REQUIRE(wait_until([&] { return read_lines(dir / "out.ndjson").size() == 1; }));
  REQUIRE(wait_until(
      [&] { return contains(read_file(dir / "agent.stderr"), "saving read offsets failed"); }));
  agent->signal(SIGTERM);
  CHECK(agent->wait(std::chrono::seconds(30)) == 0);
  std::string err = read_file(dir / "agent.stderr");
  CHECK(err.find("saving read offsets failed") == err.rfind("saving read offsets failed"));
  CHECK(contains(err, "giving up saving read offsets at shutdown"));
}

TEST_CASE("kill -9 while reading: after a restart every record is there, repeats keep their id") {
  TempDir dir;
  write_tail_to_file_config(dir);
  const int n = 20000;
  std::string content;
  for (int i = 0; i < n; ++i)
    content += gateway_record(i) + "\n";
  write_file(dir / "in" / "a.jsonl", content);
  {
    auto agent = start_agent(dir, "1");
    REQUIRE(wait_until([&] { return read_lines(dir / "out.ndjson").size() >= 2000; }));
    agent->signal(SIGKILL);
    agent->wait(std::chrono::seconds(30));
  }
  auto agent = start_agent(dir, "2");
  REQUIRE(wait_until([&] {
    std::set<int> seen;
    for (int s : delivered_seqs(dir, true))
      seen.insert(s);
    return seen.size() == static_cast<size_t>(n);
  }));
  agent->signal(SIGTERM);
  CHECK(agent->wait(std::chrono::seconds(30)) == 0);
  // At least once into a file; a record written twice carries the same id both times, so an
  // id-keyed receiver (Elasticsearch _id with op_type create) keeps one copy.
  std::map<int, std::string> id_of;
  for (const auto& line : read_lines(dir / "out.ndjson")) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    REQUIRE_FALSE(doc.HasParseError());  // no torn line either
    int seq = std::stoi(std::string(doc["policy"]["reason_code"].GetString()).substr(4));
    std::string id = doc["event"]["id"].GetString();
    auto [it, inserted] = id_of.emplace(seq, id);
    if (!inserted) CHECK(it->second == id);
  }
  CHECK(id_of.size() == static_cast<size_t>(n));
}
