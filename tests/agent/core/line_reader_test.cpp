#include "agent/core/line_reader.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace auditrelay;

namespace {

struct Line {
  uint64_t position;
  std::string bytes;
  uint64_t full_size;
};

// Feeds `chunk` as the bytes at cursor.offset and returns the records it produced.
std::vector<Line> feed(LineCursor& cursor, const std::string& chunk, size_t max, bool final,
                       LineScan* scan_out = nullptr) {
  RawBatch batch;
  uint32_t src = batch.add_source({"f", "k"});
  batch.data() = chunk;
  LineScan scan = scan_lines(batch, 0, src, cursor, max, final);
  if (scan_out != nullptr) *scan_out = scan;
  std::vector<Line> out;
  for (const auto& r : batch.records()) {
    out.push_back({r.position, std::string(batch.bytes(r)), r.full_size});
  }
  return out;
}

}  // namespace

TEST_CASE("complete lines become records with their file positions; CRLF is tolerated") {
  LineCursor cursor;
  LineScan scan;
  auto lines = feed(cursor, "a\r\nbb\n\nccc\n", 100, false, &scan);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].bytes == "a");
  CHECK(lines[0].position == 0);
  CHECK(lines[1].bytes == "bb");
  CHECK(lines[1].position == 3);
  CHECK(lines[2].bytes == "");  // an empty line is a record: the normalizer rejects it
  CHECK(lines[3].bytes == "ccc");
  CHECK(lines[3].position == 7);
  CHECK(cursor.offset == 11);
  CHECK(scan.emitted_until == 11);
}

TEST_CASE("an unterminated last line waits for its newline") {
  LineCursor cursor;
  auto lines = feed(cursor, "one\ntw", 100, false);
  REQUIRE(lines.size() == 1);
  CHECK(cursor.offset == 4);
  lines = feed(cursor, "two\n", 100, false);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].bytes == "two");
  CHECK(lines[0].position == 4);
}

TEST_CASE("final: an unterminated tail is taken as a record") {
  LineCursor cursor;
  auto lines = feed(cursor, "one\nlast", 100, true);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].bytes == "last");
  CHECK(cursor.offset == 8);
}

TEST_CASE("a complete line over the limit becomes a truncated record; the next lines are read") {
  LineCursor cursor;
  std::string big(5000, 'x');
  auto lines = feed(cursor, "ok1\n" + big + "\nok2\n", 100, false);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].position == 4);
  CHECK(lines[1].full_size == 5000);
  CHECK(lines[1].bytes.size() == 100);  // the limit, when it is below kKeptPrefixBytes
  CHECK(lines[2].bytes == "ok2");
  CHECK(lines[2].full_size == 3);
}

TEST_CASE("a line over the limit spread over chunks is skipped, then dead-lettered whole") {
  LineCursor cursor;
  const size_t max = 64;
  auto lines = feed(cursor, "ok1\n" + std::string(200, 'y'), max, false);
  REQUIRE(lines.size() == 1);
  CHECK(cursor.skipping);
  CHECK(cursor.offset == 204);
  lines = feed(cursor, std::string(300, 'y'), max, false);
  CHECK(lines.empty());
  CHECK(cursor.offset == 504);
  LineScan scan;
  lines = feed(cursor, "yy\r\nok2\nok3\n", max, false, &scan);
  REQUIRE(lines.size() == 3);
  // The lines after it keep their order; the truncated record comes last in the batch.
  CHECK(lines[0].bytes == "ok2");
  CHECK(lines[0].position == 508);
  CHECK(lines[1].bytes == "ok3");
  CHECK(lines[2].position == 4);
  CHECK(lines[2].full_size == 502);
  CHECK(lines[2].bytes == std::string(max, 'y'));
  CHECK_FALSE(cursor.skipping);
  CHECK(scan.emitted_until == 516);
}

TEST_CASE("two over-long lines in a row are both reported") {
  LineCursor cursor;
  const size_t max = 64;
  auto lines = feed(cursor, std::string(100, 'a'), max, false);
  CHECK(lines.empty());
  lines = feed(cursor, "a\n" + std::string(100, 'b'), max, false);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].full_size == 101);
  CHECK(cursor.skipping);
  lines = feed(cursor, "b\n", max, false);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].position == 102);
  CHECK(lines[0].full_size == 101);
  CHECK(lines[0].bytes == std::string(max, 'b'));
}

TEST_CASE("a line just over a limit below the kept prefix size is still cut") {
  LineCursor cursor;
  auto lines = feed(cursor, std::string(303, 'q') + "\nok\n", 100, false);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].full_size == 303);
  CHECK(lines[0].bytes.size() == 100);  // so RawRecord::truncated() holds: rejected too_large
  CHECK(lines[1].bytes == "ok");
}

TEST_CASE("a long line well under the limit keeps all its bytes") {
  LineCursor cursor;
  auto lines = feed(cursor, std::string(5000, 'w') + "\n", 1 << 20, false);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].bytes.size() == 5000);
  CHECK(lines[0].full_size == 5000);
}
