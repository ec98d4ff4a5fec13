// Cursors: the files (missing, empty, garbage), their rules, and CursorTracker.
#include <doctest/doctest.h>

#include "agent/buffer/cursor_store.h"
#include "agent/buffer/cursor_tracker.h"
#include "agent/buffer/disk_queue.h"
#include "tests/agent/buffer/buffer_test_support.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::buffer;
using namespace auditrelay::buffer::test;
using auditrelay::test::TempDir;
using auditrelay::test::write_file;

namespace {

QueueOptions options_for(const std::filesystem::path& dir) {
  QueueOptions o;
  o.dir = dir;
  o.segment_bytes = 1;  // one segment per append
  o.sync = SyncMode::kNone;
  return o;
}

}  // namespace

TEST_CASE("cursor files round-trip; output names of any kind become plain file names") {
  CHECK(decode_cursor(encode_cursor(0)) == 0u);
  CHECK(decode_cursor(encode_cursor(UINT64_MAX)) == UINT64_MAX);
  std::string bytes = encode_cursor(1234);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string changed = bytes;
    changed[i] = static_cast<char>(changed[i] ^ 4);
    CHECK_FALSE(decode_cursor(changed));
  }
  CHECK_FALSE(decode_cursor(""));
  CHECK_FALSE(decode_cursor(bytes + "x"));
  for (std::string name : {"es", "file[0]", "../x", ".hidden", "a/b", "100%", "ünï"}) {
    std::string file = cursor_file_name(name);
    CHECK(file.find('/') == std::string::npos);
    CHECK(file[0] != '.');
    CHECK(output_of_cursor_file(file) == name);
  }
  CHECK(cursor_file_name("es") == "es.cursor");
  CHECK_FALSE(output_of_cursor_file("es.cursor.tmp"));
  CHECK_FALSE(output_of_cursor_file("bad%zz.cursor"));
  CHECK_FALSE(output_of_cursor_file("bad%4.cursor"));
}

TEST_CASE("a missing, empty or garbage cursor file starts the output at the oldest record") {
  for (std::string content : {"missing", "", "garbage that is not a cursor", "ARC1\x01"}) {
    CAPTURE(content);
    TempDir tmp;
    {
      auto q = DiskQueue::open(options_for(tmp.path()), {"a", "keep"});
      for (uint64_t b = 0; b < 4; ++b)
        q->append(make_batch(b * 10, 10));
      CHECK(q->commit("a", 25) == "");
      CHECK(q->commit("keep", 10) == "");  // segment 0..9 is deleted
    }
    std::filesystem::path file = cursors_dir(tmp.path()) / "a.cursor";
    if (content == "missing") {
      std::filesystem::remove(file);
    } else {
      write_file(file, content);
    }
    RecoveryReport report;
    auto q = DiskQueue::open(options_for(tmp.path()), {"a", "keep"}, &report);
    CHECK(q->cursor("a") == 10);  // oldest retained: delivered again rather than lost
    CHECK(q->cursor("keep") == 10);
    CHECK(report.notes.size() == 1);
    uint64_t first = 0;
    q->append(make_batch(40, 1), &first);
    CHECK(first == 40);
    // The reset cursor was written back, so the next start finds a good file.
    q.reset();
    RecoveryReport again;
    q = DiskQueue::open(options_for(tmp.path()), {"a", "keep"}, &again);
    CHECK(again.notes.empty());
    CHECK(q->cursor("a") == 10);
  }
}

TEST_CASE("a cursor never moves back, nor past the last record appended") {
  TempDir tmp;
  auto q = DiskQueue::open(options_for(tmp.path()), {"out"});
  q->append(make_batch(0, 10));
  CHECK(q->commit("out", 7) == "");
  CHECK(q->commit("out", 3) == "");
  CHECK(q->cursor("out") == 7);
  CHECK(q->commit("out", 1000) == "");
  CHECK(q->cursor("out") == 10);
  CHECK(q->commit("nobody", 5) != "");
}

TEST_CASE("sequence numbers never repeat, even when every segment was delivered and deleted") {
  TempDir tmp;
  QueueOptions o = options_for(tmp.path());
  {
    auto q = DiskQueue::open(o, {"out"});
    for (uint64_t b = 0; b < 3; ++b)
      q->append(make_batch(b * 10, 10));
    CHECK(q->commit("out", 30) == "");
  }
  std::filesystem::remove_all(segments_dir(tmp.path()));  // as if all were deleted
  auto q = DiskQueue::open(o, {"out"});
  CHECK(q->stats().next_seq == 30);
  uint64_t first = 0;
  q->append(make_batch(30, 1), &first);
  CHECK(first == 30);
}

TEST_CASE("CursorTracker advances only over a contiguous run of completed batches") {
  CursorTracker t(100);
  CHECK(t.cursor() == 100);
  CHECK(t.read_to() == 100);
  t.started(100, 110);
  t.started(110, 120);
  t.started(125, 130);  // 120..124 lost to a corrupt frame
  t.started(130, 140);
  CHECK(t.read_to() == 140);
  CHECK(t.in_flight() == 4);

  CHECK_FALSE(t.completed(110));  // the batch before it is still out
  CHECK(t.cursor() == 100);
  CHECK_FALSE(t.completed(130));
  CHECK(t.completed(100) == 120u);  // 100..119 done
  CHECK(t.in_flight() == 2);
  CHECK(t.completed(125) == 140u);  // across the gap, then through 130..139
  CHECK(t.in_flight() == 0);
  CHECK_FALSE(t.completed(125));  // twice, or unknown: nothing happens
  CHECK_FALSE(t.completed(999));
  CHECK(t.cursor() == 140);
  CHECK(t.read_to() == 140);
}
