// DiskQueue::open() against damaged segments: torn last frames, flipped bytes, garbage.
#include <doctest/doctest.h>

#include <random>

#include "agent/buffer/disk_queue.h"
#include "tests/agent/buffer/buffer_test_support.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::buffer;
using auditrelay::test::read_file;
using auditrelay::test::TempDir;
using auditrelay::test::write_file;
using namespace auditrelay::buffer::test;

namespace {

QueueOptions options_for(const std::filesystem::path& dir) {
  QueueOptions o;
  o.dir = dir;
  o.sync = SyncMode::kNone;  // the tests reopen thousands of times; durability is not the point
  return o;
}

// Writes `frames` frames of 5 records each (seqs 0..) into one segment; returns the offsets
// of the frames, and the file size last.
std::vector<uint64_t> write_frames(const std::filesystem::path& dir, int frames) {
  auto q = DiskQueue::open(options_for(dir), {"out"});
  std::vector<uint64_t> starts;
  for (int f = 0; f < frames; ++f) {
    starts.push_back(q->stats().bytes_on_disk);
    q->append(make_batch(static_cast<uint64_t>(f) * 5, 5));
  }
  starts.push_back(q->stats().bytes_on_disk);
  return starts;
}

}  // namespace

TEST_CASE("recovery cuts the last frame torn at every byte offset and keeps the rest") {
  TempDir tmp;
  std::filesystem::path original = tmp / "original";
  std::vector<uint64_t> starts = write_frames(original, 3);
  REQUIRE(segment_files(original).size() == 1);
  std::string name = segment_files(original)[0].filename().string();
  std::string bytes = read_file(segment_files(original)[0]);
  REQUIRE(bytes.size() == starts[3]);

  for (uint64_t cut = starts[2]; cut < starts[3]; ++cut) {
    CAPTURE(cut);
    std::filesystem::path dir = tmp / ("cut-" + std::to_string(cut));
    std::filesystem::create_directories(segments_dir(dir));
    write_file(segments_dir(dir) / name, std::string_view(bytes).substr(0, cut));
    RecoveryReport report;
    auto q = DiskQueue::open(options_for(dir), {"out"}, &report);
    CHECK(report.torn_bytes_cut == cut - starts[2]);
    CHECK(report.corrupt_frames == 0);
    CHECK(report.records == 10);
    CHECK(std::filesystem::file_size(segments_dir(dir) / name) == starts[2]);
    CHECK(ids(read_all(*q)) == expected_ids(0, 10));  // nothing lost, nothing invented
    uint64_t first = 0;
    REQUIRE(q->append(make_batch(100, 3), &first) == AppendResult::kAppended);
    CHECK(first >= 10);
    std::vector<ReadRecord> after = read_all(*q, first);
    CHECK(ids(after) == expected_ids(100, 103));
    CHECK(after[0].seq == first);
    q.reset();
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("a flipped byte quarantines its frame only; every other record is delivered") {
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    CAPTURE(seed);
    TempDir tmp;
    std::vector<uint64_t> starts = write_frames(tmp.path(), 5);
    std::mt19937 rng(seed);
    size_t frame = rng() % 5;
    uint64_t at = starts[frame] + rng() % (starts[frame + 1] - starts[frame]);
    CAPTURE(frame);
    CAPTURE(at);
    std::filesystem::path seg = segment_files(tmp.path())[0];
    std::string bytes = read_file(seg);
    bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + rng() % 255));
    write_file(seg, bytes);

    RecoveryReport report;
    auto q = DiskQueue::open(options_for(tmp.path()), {"out"}, &report);
    std::vector<std::string> want;
    for (size_t f = 0; f < 5; ++f) {
      if (f == frame) continue;
      for (std::string& id : expected_ids(f * 5, f * 5 + 5))
        want.push_back(id);
    }
    CHECK(ids(read_all(*q)) == want);
    bool last = frame == 4;
    if (!last || report.torn_bytes_cut == 0) {
      // A changed length field of the very last frame can make it look unfinished: cut then.
      CHECK(report.corrupt_frames == 1);
      CHECK(report.corrupt_bytes == starts[frame + 1] - starts[frame]);
      std::vector<std::filesystem::path> corrupt = files_in(corrupt_dir(tmp.path()));
      REQUIRE(corrupt.size() == 1);
      CHECK(read_file(corrupt[0]) ==
            bytes.substr(starts[frame], starts[frame + 1] - starts[frame]));
      CHECK(q->stats().corrupt_frames_set_aside == 1);
    }
    // The segment was rewritten without the frame: a second start finds nothing wrong.
    q.reset();
    RecoveryReport again;
    q = DiskQueue::open(options_for(tmp.path()), {"out"}, &again);
    CHECK(again.corrupt_frames == 0);
    CHECK(again.torn_bytes_cut == 0);
    CHECK(ids(read_all(*q)) == want);
    uint64_t first = 0;
    q->append(make_batch(100, 1), &first);
    // Past every record kept; past the damaged frame too, unless its header is what was
    // damaged in the last frame: then nothing on disk tells its sequence numbers (a cursor
    // that had passed them would keep the next one past them).
    CHECK(first >= (last ? 20u : 25u));
  }
}

TEST_CASE("garbage between frames is set aside and the frames around it are kept") {
  TempDir tmp;
  std::vector<uint64_t> starts = write_frames(tmp.path(), 3);
  std::filesystem::path seg = segment_files(tmp.path())[0];
  std::string bytes = read_file(seg);
  std::string garbage = "ARQ1 garbage that starts like a header, then is not one";
  bytes.insert(starts[1], garbage);
  write_file(seg, bytes);
  RecoveryReport report;
  auto q = DiskQueue::open(options_for(tmp.path()), {"out"}, &report);
  CHECK(report.corrupt_frames == 1);
  CHECK(report.corrupt_bytes == garbage.size());
  CHECK(report.notes.size() == 1);
  CHECK(ids(read_all(*q)) == expected_ids(0, 15));
  std::vector<std::filesystem::path> corrupt = files_in(corrupt_dir(tmp.path()));
  REQUIRE(corrupt.size() == 1);
  CHECK(read_file(corrupt[0]) == garbage);
  CHECK(corrupt[0].filename().string() ==
        seg.stem().string() + "-" + std::to_string(starts[1]) + ".bin");
}

TEST_CASE("empty segment files, stray temporaries and garbage-only segments are removed") {
  TempDir tmp;
  write_frames(tmp.path(), 2);  // seqs 0..9 in segment 0
  write_file(segments_dir(tmp.path()) / segment_file_name(50), "");
  write_file(segments_dir(tmp.path()) / (segment_file_name(60) + ".tmp"), "half a rewrite");
  write_file(segments_dir(tmp.path()) / segment_file_name(20), "all garbage, no frame here");
  RecoveryReport report;
  auto q = DiskQueue::open(options_for(tmp.path()), {"out"}, &report);
  CHECK(segment_files(tmp.path()).size() == 1);
  CHECK(report.corrupt_frames == 1);
  CHECK(ids(read_all(*q)) == expected_ids(0, 10));
  uint64_t first = 0;
  q->append(make_batch(100, 1), &first);
  CHECK(first >= 21);  // 20 was the name of a segment: it may have been handed out
}

TEST_CASE("a segment that cannot be read is skipped and its name is not handed out again") {
  TempDir tmp;
  write_frames(tmp.path(), 2);  // seqs 0..9 in segment 0
  // A directory where a segment file should be: opened, but every read fails.
  std::filesystem::create_directory(segments_dir(tmp.path()) / segment_file_name(20));
  RecoveryReport report;
  auto q = DiskQueue::open(options_for(tmp.path()), {"out"}, &report);
  REQUIRE(report.notes.size() == 1);
  CHECK(report.notes[0].starts_with("cannot read segment, skipped: read: "));
  CHECK(ids(read_all(*q)) == expected_ids(0, 10));
  uint64_t first = 0;
  q->append(make_batch(100, 1), &first);
  CHECK(first >= 21);
}

TEST_CASE("a frame damaged after open is set aside when read, and reading goes on") {
  TempDir tmp;
  std::vector<uint64_t> starts = write_frames(tmp.path(), 3);
  auto q = DiskQueue::open(options_for(tmp.path()), {"out"});
  std::filesystem::path seg = segment_files(tmp.path())[0];
  std::string bytes = read_file(seg);
  bytes[starts[1] + 60] = static_cast<char>(bytes[starts[1] + 60] ^ 0x55);  // in the payload
  write_file(seg, bytes);
  CHECK(ids(read_all(*q)) == [] {
    auto a = expected_ids(0, 5), b = expected_ids(10, 15);
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }());
  CHECK(q->stats().corrupt_frames_set_aside == 1);
  CHECK(files_in(corrupt_dir(tmp.path())).size() == 1);
}
