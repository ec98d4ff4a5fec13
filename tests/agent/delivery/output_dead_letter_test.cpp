#include "agent/delivery/output_dead_letter.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <filesystem>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::delivery;
using auditrelay::test::read_lines;
using auditrelay::test::TempDir;

TEST_CASE("a dead-letter entry carries the document itself and why it was rejected") {
  DocumentBatch batch;
  batch.add("id-1", "logs-a-b", R"({"policy":{"risk_score":"high"}})");
  DocumentView d = batch[0];
  auto first = std::chrono::system_clock::from_time_t(1'700'000'000);
  std::string out;
  append_output_dead_letter(DeadLetterItem{.output = "es",
                                           .document = d,
                                           .status = 400,
                                           .error_type = "mapper_parsing_exception",
                                           .reason = "failed to parse \"risk_score\"",
                                           .attempts = 2,
                                           .first_attempt = first,
                                           .last_attempt = first + std::chrono::seconds(3)},
                            out);
  REQUIRE(out.back() == '\n');
  rapidjson::Document doc;
  doc.Parse(out.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["id"].GetString()) == "id-1");
  CHECK(std::string(doc["index"].GetString()) == "logs-a-b");
  CHECK(doc["status"].GetInt() == 400);
  CHECK(std::string(doc["reason"].GetString()) == "failed to parse \"risk_score\"");
  CHECK(doc["attempts"].GetInt() == 2);
  CHECK(std::string(doc["first_attempt"].GetString()) == "2023-11-14T22:13:20.000Z");
  CHECK(std::string(doc["last_attempt"].GetString()) == "2023-11-14T22:13:23.000Z");
  CHECK(std::string(doc["document"]["policy"]["risk_score"].GetString()) == "high");
}

TEST_CASE("the dead-letter file rotates by size and keeps max_files old files") {
  TempDir dir;
  DeadLetterOptions options;
  options.path = dir / "dl.ndjson";
  options.max_bytes = 100;
  options.max_files = 2;
  OutputDeadLetterFile file(options);
  std::string line(59, 'x');
  line += '\n';  // 60 bytes: one per file before the 100-byte limit
  for (int i = 0; i < 5; ++i) {
    line[0] = static_cast<char>('0' + i);
    REQUIRE(file.write(line) == "");
  }
  auto first_char = [](const std::filesystem::path& p) {
    auto lines = read_lines(p);
    return lines.size() == 1 ? lines[0][0] : '?';
  };
  CHECK(first_char(dir / "dl.ndjson") == '4');
  CHECK(first_char(dir / "dl.ndjson.1") == '3');
  CHECK(first_char(dir / "dl.ndjson.2") == '2');
  CHECK_FALSE(std::filesystem::exists(dir / "dl.ndjson.3"));
  // A reopened file knows its size: the next line rotates it.
  OutputDeadLetterFile again(options);
  line[0] = '5';
  REQUIRE(again.write(line) == "");
  CHECK(first_char(dir / "dl.ndjson") == '5');
  CHECK(first_char(dir / "dl.ndjson.1") == '4');
}
