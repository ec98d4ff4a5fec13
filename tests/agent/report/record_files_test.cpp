// Files of records, plain or zstd, read in batches of whole lines on a thread.
#include "agent/report/record_files.h"

#include <doctest/doctest.h>
#include <zstd.h>

#include <algorithm>
#include <fstream>

#include "agent/report/report_error.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::report::RecordFiles;
using auditrelay::report::ReportError;
using auditrelay::test::TempDir;

namespace {

void write(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string zstd_frame(const std::string& bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Every line the reader gives, with its position; throws what the reader throws.
std::vector<std::pair<uint64_t, std::string>> read_all(std::vector<std::string> paths,
                                                       size_t max_record_bytes = 1 << 20) {
  RecordFiles files(std::move(paths), max_record_bytes);
  std::vector<std::pair<uint64_t, std::string>> lines;
  while (const RawBatch* batch = files.next()) {
    for (const RawRecord& r : batch->records()) {
      std::string text(batch->bytes(r));
      if (r.truncated()) text = "TRUNCATED " + std::to_string(r.full_size);
      lines.emplace_back(r.position, text);
    }
  }
  return lines;
}

// Lines "line <i> " padded to about `width` bytes.
std::string numbered_lines(int count, size_t width) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    std::string line = "line " + std::to_string(i) + " ";
    line.resize(width, 'x');
    out += line + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("plain and zstd files (several frames) give the same lines, in file order") {
  TempDir dir;
  const std::string text = numbered_lines(20'000, 300);  // about 6 MiB: several batches
  write(dir / "plain.jsonl", text);
  const size_t half = text.find('\n', text.size() / 2) + 1;
  write(dir / "two-frames.jsonl.zst",
        zstd_frame(text.substr(0, half)) + zstd_frame(text.substr(half)));
  auto plain = read_all({(dir / "plain.jsonl").string()});
  auto zstd = read_all({(dir / "two-frames.jsonl.zst").string()});
  REQUIRE(plain.size() == 20'000);
  CHECK(plain == zstd);
  CHECK(plain[1].first == 301);
  CHECK(plain[19'999].second.rfind("line 19999 ", 0) == 0);
  auto both = read_all({(dir / "plain.jsonl").string(), (dir / "two-frames.jsonl.zst").string()});
  CHECK(both.size() == 40'000);
  CHECK(both[20'000].first == 0);  // positions are per file
}

TEST_CASE("a last line without a newline, CRLF, and an over-long line") {
  TempDir dir;
  std::string long_line(5000, 'y');
  write(dir / "f", "a\r\nb\n" + long_line + "\nc");
  auto lines = read_all({(dir / "f").string()}, 1000);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].second == "a");
  CHECK(lines[1].second == "b");
  CHECK(lines[2].second == "TRUNCATED 5000");
  CHECK(lines[3].second == "c");
}

TEST_CASE("an over-long line that spans batches is one truncated record") {
  TempDir dir;
  std::string huge(3 << 20, 'z');
  write(dir / "f", "first\n" + huge + "\nlast\n");
  auto lines = read_all({(dir / "f").string()}, 1 << 20);
  // The line reader adds an over-long line's record after the lines that end in the same batch.
  std::sort(lines.begin(), lines.end());
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].second == "TRUNCATED " + std::to_string(huge.size()));
  CHECK(lines[2].second == "last");
}

TEST_CASE("unreadable files, corrupt and truncated zstd are errors naming the file") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(read_all({(dir / "missing.jsonl").string()}),
                       doctest::Contains("missing.jsonl: cannot open"), ReportError);
  CHECK_THROWS_WITH_AS(read_all({dir.path().string()}), doctest::Contains("cannot read"),
                       ReportError);
  std::string frame = zstd_frame(numbered_lines(1000, 100));
  std::string corrupt = frame;
  for (size_t i = 20; i < corrupt.size() - 8; i += 7)
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  write(dir / "corrupt.zst", corrupt);
  CHECK_THROWS_WITH_AS(read_all({(dir / "corrupt.zst").string()}),
                       doctest::Contains("corrupt.zst: corrupt zstd data"), ReportError);
  write(dir / "cut.zst", frame.substr(0, frame.size() / 2));
  CHECK_THROWS_WITH_AS(read_all({(dir / "cut.zst").string()}),
                       doctest::Contains("cut.zst: truncated zstd data"), ReportError);
}

TEST_CASE("zstd is known by its name or its first bytes, skippable frames included") {
  TempDir dir;
  const std::string text = numbered_lines(100, 50);
  // A skippable frame (magic 0x184D2A50, 4 bytes of length, then that many bytes), as pzstd
  // writes one first.
  std::string skippable("\x50\x2a\x4d\x18\x04\x00\x00\x00", 8);
  skippable += "abcd";
  write(dir / "pzstd-like", skippable + zstd_frame(text));
  CHECK(read_all({(dir / "pzstd-like").string()}).size() == 100);
  write(dir / "empty.zst", "");
  CHECK_THROWS_WITH_AS(read_all({(dir / "empty.zst").string()}),
                       doctest::Contains("empty.zst: not zstd data"), ReportError);
  write(dir / "short.zst", zstd_frame(text).substr(0, 3));
  CHECK_THROWS_WITH_AS(read_all({(dir / "short.zst").string()}),
                       doctest::Contains("short.zst: truncated zstd data"), ReportError);
  write(dir / "plain.zst", text);  // named .zst, but not: an error, not an empty report
  CHECK_THROWS_WITH_AS(read_all({(dir / "plain.zst").string()}),
                       doctest::Contains("plain.zst: corrupt zstd data"), ReportError);
  write(dir / "empty.jsonl", "");
  CHECK(read_all({(dir / "empty.jsonl").string()}).empty());
}

TEST_CASE("the reader stops cleanly when its caller leaves early") {
  TempDir dir;
  write(dir / "f", numbered_lines(50'000, 200));
  RecordFiles files({(dir / "f").string()}, 1 << 20);
  REQUIRE(files.next() != nullptr);
  // The destructor must join the thread while it waits for a free batch.
}
