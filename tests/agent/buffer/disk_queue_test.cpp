// DiskQueue: appends, reads, segments, reopening, inspect().
#include "agent/buffer/disk_queue.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/agent/buffer/buffer_test_support.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::buffer;
using namespace auditrelay::buffer::test;
using auditrelay::test::read_file;
using auditrelay::test::TempDir;
using auditrelay::test::write_file;

namespace {

QueueOptions small_segments(const std::filesystem::path& dir) {
  QueueOptions o;
  o.dir = dir;
  o.segment_bytes = 1000;  // a few frames each
  o.sync = SyncMode::kBatch;
  return o;
}

}  // namespace

TEST_CASE("an empty queue reads nothing and starts at sequence number 0") {
  TempDir tmp;
  RecoveryReport report;
  auto q = DiskQueue::open(small_segments(tmp / "q"), {"out"}, &report);
  CHECK(report.segments == 0);
  CHECK(report.notes.empty());
  CHECK_FALSE(q->read(0));
  CHECK(q->cursor("out") == 0);
  CHECK(q->sync() == "");
  uint64_t first = 99;
  CHECK(q->append(DocumentBatch{}, &first) == AppendResult::kAppended);
  CHECK(first == 0);
  CHECK(q->stats().segments == 0);
}

TEST_CASE("appends get consecutive sequence numbers and read back across segments") {
  TempDir tmp;
  auto q = DiskQueue::open(small_segments(tmp.path()), {"out"});
  for (uint64_t b = 0; b < 20; ++b) {
    uint64_t first = 0;
    REQUIRE(q->append(make_batch(b * 10, 10), &first) == AppendResult::kAppended);
    CHECK(first == b * 10);
    CHECK(q->sync() == "");
  }
  CHECK(segment_files(tmp.path()).size() > 3);
  QueueStats s = q->stats();
  CHECK(s.first_seq == 0);
  CHECK(s.next_seq == 200);
  CHECK(s.segments == segment_files(tmp.path()).size());
  uint64_t on_disk = 0;
  for (const auto& f : segment_files(tmp.path()))
    on_disk += std::filesystem::file_size(f);
  CHECK(s.bytes_on_disk == on_disk);
  // Names are the first sequence number of each segment.
  CHECK(segment_files(tmp.path())[0].filename() == "00000000000000000000.seg");

  std::vector<ReadRecord> all = read_all(*q);
  CHECK(ids(all) == expected_ids(0, 200));
  for (size_t i = 0; i < all.size(); ++i)
    CHECK(all[i].seq == i);
  CHECK(all[7].json == make_batch(7, 1)[0].json);

  SUBCASE("a read from the middle of a frame leaves out the records before") {
    auto frame = q->read(125);
    REQUIRE(frame);
    CHECK(frame->first_seq == 125);
    CHECK(frame->next_seq == 130);
    CHECK(frame->documents.size() == 5);
    CHECK(frame->documents[0].id == "id-125");
    CHECK(ids(read_all(*q, 125)) == expected_ids(125, 200));
  }
  SUBCASE("past the end there is nothing yet") {
    CHECK_FALSE(q->read(200));
    CHECK_FALSE(q->read(12345));
  }
}

TEST_CASE("a batch over the frame limit is split into several frames, all in order") {
  TempDir tmp;
  QueueOptions o = small_segments(tmp.path());
  o.segment_bytes = 64 << 20;
  auto q = DiskQueue::open(o, {"out"});
  REQUIRE(q->append(make_batch(0, 3000, 2000)) == AppendResult::kAppended);  // ~6 MB raw
  auto first = q->read(0);
  REQUIRE(first);
  CHECK(first->next_seq < 3000);  // more than one frame
  CHECK(ids(read_all(*q)) == expected_ids(0, 3000));
}

TEST_CASE("reopening keeps every record, the cursors and the sequence numbers") {
  TempDir tmp;
  for (SyncMode mode : {SyncMode::kAlways, SyncMode::kBatch, SyncMode::kNone}) {
    std::filesystem::path dir = tmp / ("q" + std::to_string(static_cast<int>(mode)));
    QueueOptions o = small_segments(dir);
    o.sync = mode;
    {
      auto q = DiskQueue::open(o, {"a", "b"});
      for (uint64_t b = 0; b < 10; ++b)
        q->append(make_batch(b * 7, 7));
      CHECK(q->commit("a", 20) == "");
    }
    RecoveryReport report;
    auto q = DiskQueue::open(o, {"a", "b"}, &report);
    CHECK(report.records == 70);
    CHECK(report.notes.empty());
    CHECK(q->cursor("a") == 20);
    CHECK(q->cursor("b") == 0);
    CHECK(ids(read_all(*q)) == expected_ids(0, 70));
    uint64_t first = 0;
    q->append(make_batch(70, 1), &first);
    CHECK(first == 70);
    CHECK(ids(read_all(*q)) == expected_ids(0, 71));
  }
}

TEST_CASE("after a restart appends go on in the last segment, not a new file per start") {
  TempDir tmp;
  QueueOptions o;
  o.dir = tmp.path();
  for (uint64_t start = 0; start < 3; ++start) {
    auto q = DiskQueue::open(o, {"out"});
    uint64_t first = 0;
    q->append(make_batch(start * 5, 5), &first);
    CHECK(first == start * 5);
  }
  CHECK(segment_files(tmp.path()).size() == 1);
  auto q = DiskQueue::open(o, {"out"});
  CHECK(ids(read_all(*q)) == expected_ids(0, 15));
}

TEST_CASE("open refuses a directory it cannot create, with an exception") {
  TempDir tmp;
  write_file(tmp / "file", "x");
  QueueOptions o;
  o.dir = tmp / "file" / "q";
  CHECK_THROWS_AS(DiskQueue::open(o, {"out"}), std::runtime_error);
}

TEST_CASE("inspect reports what is on disk and changes nothing") {
  TempDir tmp;
  auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
  {
    auto q = DiskQueue::open(small_segments(tmp.path()), {"a", "b"});
    for (uint64_t b = 0; b < 10; ++b)
      q->append(make_batch(b * 10, 10));
    CHECK(q->commit("a", 100) == "");
    CHECK(q->commit("b", 35) == "");
    QueueStats live = q->stats();
    QueueStats seen = DiskQueue::inspect(tmp.path());
    CHECK(seen.segments == live.segments);
    CHECK(seen.bytes_on_disk == live.bytes_on_disk);
    CHECK(seen.next_seq == live.next_seq);
    CHECK(seen.first_seq == live.first_seq);
  }
  // A torn tail and a corrupt file set aside earlier: inspect counts, never repairs.
  std::filesystem::path last = segment_files(tmp.path()).back();
  std::string torn = read_file(last) + "ARQ1\x30";
  write_file(last, torn);
  write_file(corrupt_dir(tmp.path()) / "00000000000000000000-0.bin", "old damage");

  QueueStats s = DiskQueue::inspect(tmp.path());
  CHECK(read_file(last) == torn);
  CHECK(s.next_seq == 100);
  CHECK(s.corrupt_frames_set_aside == 1);
  REQUIRE(s.outputs.size() == 2);
  CHECK(s.outputs[0].output == "a");
  CHECK(s.outputs[0].cursor == 100);
  CHECK(s.outputs[0].records == 0);
  CHECK(s.outputs[0].bytes == 0);
  CHECK_FALSE(s.outputs[0].oldest);
  CHECK(s.outputs[1].output == "b");
  CHECK(s.outputs[1].cursor == 35);
  CHECK(s.outputs[1].records == 65);
  CHECK(s.outputs[1].bytes > 0);
  CHECK(s.outputs[1].bytes <= s.bytes_on_disk);
  REQUIRE(s.outputs[1].oldest);
  CHECK(*s.outputs[1].oldest >= before);
  CHECK(*s.outputs[1].oldest <= std::chrono::system_clock::now());
  CHECK(s.first_seq <= 35);

  CHECK(DiskQueue::inspect(tmp / "nothing-here").segments == 0);
}

TEST_CASE(
    "appends, fsyncs, reads and commits from different threads see every record once, in order") {
  TempDir tmp;
  QueueOptions o = small_segments(tmp.path());
  o.max_bytes = 20000;  // small enough that the appender has to wait for commits
  auto q = DiskQueue::open(o, {"out"});
  constexpr uint64_t kBatches = 300, kPerBatch = 10;
  // Both sides poll the other; a hang fails the test instead of blocking it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::atomic<bool> appended_all = false;
  std::thread appender([&] {
    for (uint64_t b = 0; b < kBatches && std::chrono::steady_clock::now() < deadline;) {
      if (q->append(make_batch(b * kPerBatch, kPerBatch)) == AppendResult::kAppended) {
        ++b;
      } else {
        std::this_thread::yield();  // full: the reader's commits make room
      }
    }
    appended_all = true;
  });
  // Two group commits at a time, racing the appends, the segment rollovers and each other.
  std::atomic<int> sync_errors = 0;
  auto sync_until_done = [&] {
    while (!appended_all) {
      if (!q->sync().empty()) ++sync_errors;
      std::this_thread::yield();
    }
  };
  std::thread syncer(sync_until_done);
  std::thread other_syncer(sync_until_done);
  std::vector<std::string> seen;
  uint64_t from = 0;
  while (seen.size() < kBatches * kPerBatch) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    auto frame = q->read(from);
    if (!frame) {
      std::this_thread::yield();
      continue;
    }
    for (size_t i = 0; i < frame->documents.size(); ++i) {
      seen.emplace_back(frame->documents[i].id);
    }
    from = frame->next_seq;
    REQUIRE(q->commit("out", from) == "");
  }
  appender.join();
  syncer.join();
  other_syncer.join();
  CHECK(sync_errors == 0);
  CHECK(q->sync() == "");
  CHECK(seen == expected_ids(0, kBatches * kPerBatch));
  CHECK(q->stats().dropped_records == 0);
}
