// What leaves the queue: delivered segments, and when full (block / drop_oldest).
#include <doctest/doctest.h>

#include "agent/buffer/disk_queue.h"
#include "tests/agent/buffer/buffer_test_support.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::buffer;
using namespace auditrelay::buffer::test;
using auditrelay::test::TempDir;

namespace {

// One segment per append: segment_bytes is smaller than any frame.
QueueOptions segment_per_append(const std::filesystem::path& dir) {
  QueueOptions o;
  o.dir = dir;
  o.segment_bytes = 1;
  o.sync = SyncMode::kNone;
  return o;
}

}  // namespace

TEST_CASE("a segment is deleted only once every output's cursor has passed it") {
  TempDir tmp;
  auto q = DiskQueue::open(segment_per_append(tmp.path()), {"a", "b"});
  for (uint64_t b = 0; b < 5; ++b)
    q->append(make_batch(b * 10, 10));  // segments 0,10,..,40
  REQUIRE(segment_files(tmp.path()).size() == 5);

  CHECK(q->commit("a", 50) == "");
  CHECK(segment_files(tmp.path()).size() == 5);  // b still needs all of them
  CHECK(q->commit("b", 19) == "");
  CHECK(segment_files(tmp.path()).size() == 4);  // 0..9 passed by both; 10..19 not by b
  CHECK(segment_files(tmp.path())[0].filename() == segment_file_name(10));
  CHECK(q->commit("b", 20) == "");
  CHECK(segment_files(tmp.path()).size() == 3);
  CHECK(q->stats().first_seq == 20);
  // The segment open for appends stays, even when delivered everywhere.
  CHECK(q->commit("b", 50) == "");
  CHECK(segment_files(tmp.path()).size() == 1);
  CHECK(q->stats().bytes_on_disk == std::filesystem::file_size(segment_files(tmp.path())[0]));
  CHECK_FALSE(q->read(50));
}

TEST_CASE("a new output starts at the oldest retained record; a removed one stops pinning") {
  TempDir tmp;
  QueueOptions o = segment_per_append(tmp.path());
  {
    auto q = DiskQueue::open(o, {"a", "b"});
    for (uint64_t b = 0; b < 5; ++b)
      q->append(make_batch(b * 10, 10));
    CHECK(q->commit("a", 30) == "");
    CHECK(q->commit("b", 20) == "");
    CHECK(q->stats().first_seq == 20);
  }
  {
    RecoveryReport report;
    auto q = DiskQueue::open(o, {"a", "b", "c"}, &report);
    CHECK(q->cursor("c") == 20);
    CHECK(ids(read_all(*q, q->cursor("c"))) == expected_ids(20, 50));
    CHECK(report.notes.size() == 1);  // "output c has no cursor yet"
  }
  RecoveryReport report;
  auto q = DiskQueue::open(o, {"a"}, &report);  // b and c are gone from the configuration
  CHECK(report.notes.size() == 2);
  CHECK_FALSE(std::filesystem::exists(cursors_dir(tmp.path()) / "b.cursor"));
  CHECK_FALSE(std::filesystem::exists(cursors_dir(tmp.path()) / "c.cursor"));
  CHECK(std::filesystem::exists(cursors_dir(tmp.path()) / "a.cursor"));
  CHECK(q->commit("a", 40) == "");
  CHECK(q->stats().first_seq == 40);  // b's cursor at 20 no longer holds 20..39
  CHECK(q->commit("b", 45) != "");    // unknown now
}

TEST_CASE("when_full: block refuses appends, writes nothing, and resumes after a commit") {
  TempDir tmp;
  QueueOptions o = segment_per_append(tmp.path());
  o.when_full = WhenFull::kBlock;
  {
    auto probe = DiskQueue::open(segment_per_append(tmp / "probe"), {"out"});
    probe->append(make_batch(0, 10));
    o.max_bytes = probe->stats().bytes_on_disk * 3 - 10;  // full after three appends
  }
  auto q = DiskQueue::open(o, {"out"});
  for (uint64_t b = 0; b < 3; ++b)
    REQUIRE(q->append(make_batch(b * 10, 10)) == AppendResult::kAppended);
  QueueStats full = q->stats();
  uint64_t first = 12345;
  CHECK(q->append(make_batch(30, 10), &first) == AppendResult::kFull);
  CHECK(first == 12345);
  CHECK(q->stats().bytes_on_disk == full.bytes_on_disk);
  CHECK(q->stats().next_seq == 30);
  CHECK(segment_files(tmp.path()).size() == 3);

  CHECK(q->commit("out", 5) == "");  // half a segment: still full
  CHECK(q->append(make_batch(30, 10)) == AppendResult::kFull);
  CHECK(q->commit("out", 10) == "");
  REQUIRE(q->append(make_batch(30, 10), &first) == AppendResult::kAppended);
  CHECK(first == 30);
  CHECK(q->append(make_batch(40, 10)) == AppendResult::kFull);
  CHECK(q->commit("out", 40) == "");
  CHECK(q->append(make_batch(40, 10)) == AppendResult::kAppended);
  CHECK(ids(read_all(*q, q->cursor("out"))) == expected_ids(40, 50));
  CHECK(q->stats().dropped_records == 0);
}

TEST_CASE("when_full: block also frees the segment open for appends once it is delivered") {
  TempDir tmp;
  QueueOptions o;
  o.dir = tmp.path();
  o.sync = SyncMode::kNone;
  o.when_full = WhenFull::kBlock;
  o.max_bytes = 1;  // full after any append; one segment holds everything
  auto q = DiskQueue::open(o, {"out"});
  CHECK(q->append(make_batch(0, 10)) == AppendResult::kAppended);
  CHECK(q->append(make_batch(10, 10)) == AppendResult::kFull);
  CHECK(q->commit("out", 10) == "");
  CHECK(segment_files(tmp.path()).size() == 1);  // kept while there is room to spare...
  uint64_t first = 0;
  CHECK(q->append(make_batch(10, 10), &first) == AppendResult::kAppended);  // ...not when full
  CHECK(first == 10);
  CHECK(segment_files(tmp.path())[0].filename() == segment_file_name(10));
  CHECK(ids(read_all(*q, 0)) == expected_ids(10, 20));
}

TEST_CASE("when_full: drop_oldest drops the oldest segments and counts exactly") {
  TempDir tmp;
  QueueOptions o = segment_per_append(tmp.path());
  o.when_full = WhenFull::kDropOldest;
  {
    auto probe = DiskQueue::open(segment_per_append(tmp / "probe"), {"out"});
    probe->append(make_batch(0, 10));
    o.max_bytes = probe->stats().bytes_on_disk * 3 - 10;  // full after three appends
  }
  std::filesystem::remove_all(tmp / "probe");
  auto q = DiskQueue::open(o, {"a", "b"});
  CHECK(q->commit("a", 0) == "");
  for (uint64_t b = 0; b < 3; ++b)
    q->append(make_batch(b * 10, 10));
  CHECK(q->commit("a", 15) == "");  // a has 0..14, b nothing
  CHECK(q->stats().dropped_records == 0);

  q->append(make_batch(30, 10));  // full: segment 0..9 goes, b never got it
  QueueStats s = q->stats();
  CHECK(s.dropped_records == 10);
  CHECK(s.first_seq == 10);
  CHECK(q->cursor("a") == 15);  // past the dropped segment already
  CHECK(q->cursor("b") == 10);  // moved to the oldest retained record
  CHECK(segment_files(tmp.path()).size() == 3);

  CHECK(q->commit("b", 15) == "");  // both at 15 now: 10..14 are delivered everywhere
  q->append(make_batch(40, 10));    // drops segment 10..19, of which 15..19 were undelivered
  s = q->stats();
  CHECK(s.dropped_records == 15);
  CHECK(q->cursor("a") == 20);
  CHECK(q->cursor("b") == 20);
  CHECK(ids(read_all(*q, 20)) == expected_ids(20, 50));
  // Every record appended is dropped (15), delivered everywhere (10..14) or in b's backlog.
  CHECK(s.next_seq == s.dropped_records + 5 + s.outputs[1].records);

  // The dropped cursors are durable: a restart does not go back into the gap.
  q.reset();
  q = DiskQueue::open(o, {"a", "b"});
  CHECK(q->cursor("b") == 20);
  CHECK(q->stats().first_seq == 20);
}
