#include "plugins/in_tail/file_tailer.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "plugins/in_tail/committed_offsets.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::append_file;
using auditrelay::test::TempDir;
using auditrelay::test::write_file;

namespace {

// Drives a FileTailer the way the tail input does: each cycle's progress is acknowledged at
// once, and the committed offsets are rebuilt from what the tailer reports.
class Harness {
 public:
  explicit Harness(TailOptions options) : tailer_(std::move(options)) {}

  std::vector<std::string> cycle(bool start_at_end = false, int64_t now_ms = 0) {
    TailCycle c = tailer_.run_cycle(committed_.entries(), start_at_end, now_ms);
    committed_.sync(c.files);
    if (acknowledge_) {
      committed_.acknowledge(c.progress);
    } else {
      pending_.insert(pending_.end(), c.progress.begin(), c.progress.end());
    }
    events_ = c.events;
    more_ = c.more;
    std::vector<std::string> lines;
    for (const auto& r : c.batch.records()) {
      lines.emplace_back(c.batch.bytes(r));
      ids_.push_back(c.batch.source(r).id_key + "@" + std::to_string(r.position));
    }
    return lines;
  }

  bool saw(TailEvent::Kind kind) const {
    return std::any_of(events_.begin(), events_.end(), [&](auto& e) { return e.kind == kind; });
  }
  CommittedOffsets& committed() { return committed_; }
  // Holds acknowledgements back (batches still in flight) until acknowledge_pending().
  void hold_acknowledgements() { acknowledge_ = false; }
  void acknowledge_pending() {
    committed_.acknowledge(pending_);
    pending_.clear();
  }
  const std::vector<std::string>& ids() const { return ids_; }
  size_t files() const { return tailer_.file_count(); }
  bool more() const { return more_; }

 private:
  FileTailer tailer_;
  CommittedOffsets committed_;
  bool acknowledge_ = true;
  std::vector<FileProgress> pending_;
  std::vector<TailEvent> events_;
  std::vector<std::string> ids_;
  bool more_ = false;
};

TailOptions options_for(const TempDir& dir, std::string pattern = "*.jsonl") {
  TailOptions o;
  o.patterns = {(dir.path() / pattern).string()};
  o.max_record_bytes = 1024;
  o.rotate_wait_ms = 1000;
  return o;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("new lines are read once, partial lines wait") {
  TempDir dir;
  Harness h(options_for(dir));
  write_file(dir / "a.jsonl", "1\n2\n3");
  CHECK(h.cycle() == Lines{"1", "2"});
  CHECK(h.cycle().empty());
  append_file(dir / "a.jsonl", "\n4\n");
  CHECK(h.cycle() == Lines{"3", "4"});
}

TEST_CASE("files present at the first start begin at their end unless read_from_head") {
  TempDir dir;
  write_file(dir / "old.jsonl", "old\n");
  Harness h(options_for(dir));
  CHECK(h.cycle(/*start_at_end=*/true).empty());
  append_file(dir / "old.jsonl", "new\n");
  write_file(dir / "later.jsonl", "later\n");  // appears later: read from its head
  auto lines = h.cycle();
  std::sort(lines.begin(), lines.end());
  CHECK(lines == Lines{"later", "new"});
}

TEST_CASE("rename rotation: the old file is read to its end, the new one from its head") {
  TempDir dir;
  Harness h(options_for(dir));
  write_file(dir / "audit.jsonl", "1\n2\n");
  CHECK(h.cycle(false, 0) == Lines{"1", "2"});
  append_file(dir / "audit.jsonl", "3\n");
  std::filesystem::rename(dir / "audit.jsonl", dir / "audit.jsonl.1");
  append_file(dir / "audit.jsonl.1", "4\n");  // the writer has not reopened yet
  write_file(dir / "audit.jsonl", "5\n");
  auto lines = h.cycle(false, 10);
  std::sort(lines.begin(), lines.end());
  CHECK(lines == Lines{"3", "4", "5"});
  CHECK(h.saw(TailEvent::Kind::kRotated));
  CHECK(h.files() == 2);
  append_file(dir / "audit.jsonl.1", "6");  // a last line without newline, then nothing more
  CHECK(h.cycle(false, 20).empty());
  // After rotate_wait the old file is final: its unterminated line is taken, then released.
  CHECK(h.cycle(false, 2000) == Lines{"6"});
  CHECK(h.cycle(false, 2001).empty());
  CHECK(h.saw(TailEvent::Kind::kReleased));
  CHECK(h.files() == 1);
}

TEST_CASE("a file renamed to a name that still matches keeps its offsets and ids") {
  TempDir dir;
  Harness h(options_for(dir));
  write_file(dir / "a.jsonl", "1\n");
  CHECK(h.cycle() == Lines{"1"});
  std::filesystem::rename(dir / "a.jsonl", dir / "b.jsonl");
  append_file(dir / "b.jsonl", "2\n");
  CHECK(h.cycle() == Lines{"2"});
  CHECK_FALSE(h.saw(TailEvent::Kind::kRotated));
  CHECK(h.committed().entries().at(0).stored.path == (dir / "b.jsonl").string());
}

TEST_CASE("copytruncate: a shrink is detected and the file is read again from 0") {
  TempDir dir;
  Harness h(options_for(dir));
  write_file(dir / "a.jsonl", "line-1\nline-2\n");
  CHECK(h.cycle() == Lines{"line-1", "line-2"});
  std::filesystem::copy_file(dir / "a.jsonl", dir / "a.jsonl.1");
  std::filesystem::resize_file(dir / "a.jsonl", 0);
  append_file(dir / "a.jsonl", "x\n");
  CHECK(h.cycle() == Lines{"x"});
  CHECK(h.saw(TailEvent::Kind::kTruncated));
}

TEST_CASE("copytruncate: a file rewritten past the old offset is caught by its fingerprint") {
  TempDir dir;
  Harness h(options_for(dir));
  write_file(dir / "a.jsonl", "seq-1\n");
  CHECK(h.cycle() == Lines{"seq-1"});
  std::filesystem::resize_file(dir / "a.jsonl", 0);
  append_file(dir / "a.jsonl", "seq-2 is longer\nseq-3\n");
  CHECK(h.cycle() == Lines{"seq-2 is longer", "seq-3"});
  CHECK(h.saw(TailEvent::Kind::kTruncated));
  // Same position as seq-1, another file content: another record id.
  CHECK(h.ids()[0] != h.ids()[1]);
}

TEST_CASE("a deleted file is drained and released") {
  TempDir dir;
  Harness h(options_for(dir));
  write_file(dir / "a.jsonl", "1\n");
  CHECK(h.cycle(false, 0) == Lines{"1"});
  append_file(dir / "a.jsonl", "2\n");
  std::filesystem::remove(dir / "a.jsonl");
  CHECK(h.cycle(false, 10) == Lines{"2"});
  CHECK(h.saw(TailEvent::Kind::kDeleted));
  h.cycle(false, 5000);
  CHECK(h.saw(TailEvent::Kind::kReleased));
  CHECK(h.files() == 0);
}

TEST_CASE("a restart resumes at the committed offset; the same position gives the same id") {
  TempDir dir;
  write_file(dir / "a.jsonl", "1\n2\n");
  CommittedOffsets saved;
  std::vector<std::string> first_ids;
  {
    Harness h(options_for(dir));
    CHECK(h.cycle() == Lines{"1", "2"});
    saved = h.committed();
    first_ids = h.ids();
  }
  append_file(dir / "a.jsonl", "3\n");
  Harness h(options_for(dir));
  h.committed() = saved;
  CHECK(h.cycle() == Lines{"3"});

  // Without the commit (a crash before it), the same lines come again with the same ids.
  Harness replay(options_for(dir));
  CHECK(replay.cycle() == Lines{"1", "2", "3"});
  CHECK(replay.ids()[0] == first_ids[0]);
  CHECK(replay.ids()[1] == first_ids[1]);
}

TEST_CASE("a reused inode with another first line is a new file, read from 0") {
  TempDir dir;
  write_file(dir / "a.jsonl", "first file\n");
  CommittedOffsets saved;
  {
    Harness h(options_for(dir));
    h.cycle();
    saved = h.committed();
  }
  // Same inode, other content (as if the inode had been reused), longer than the old offset.
  write_file(dir / "a.jsonl", "second file, longer\nmore\n");
  Harness h(options_for(dir));
  h.committed() = saved;
  CHECK(h.cycle() == Lines{"second file, longer", "more"});
}

TEST_CASE("budget: a big backlog is read over several cycles, each saying there is more") {
  TempDir dir;
  TailOptions o = options_for(dir);
  o.cycle_budget_bytes = 4096;
  Harness h(o);
  std::string content;
  for (int i = 0; i < 1000; ++i)
    content += "record-" + std::to_string(i) + "\n";
  write_file(dir / "a.jsonl", content);
  size_t total = 0;
  int cycles = 0;
  do {
    total += h.cycle().size();
    ++cycles;
  } while (h.more() && cycles < 100);
  CHECK(total == 1000);
  CHECK(cycles > 1);
}

TEST_CASE("excluded paths are not followed") {
  TempDir dir;
  TailOptions o = options_for(dir);
  o.excludes = {(dir.path() / "skip-*").string()};
  Harness h(o);
  write_file(dir / "skip-me.jsonl", "no\n");
  write_file(dir / "keep.jsonl", "yes\n");
  CHECK(h.cycle() == Lines{"yes"});
}

TEST_CASE("a released file that matches again resumes where it was") {
  TempDir dir;
  Harness h(options_for(dir));
  write_file(dir / "a.jsonl", "1\n2\n");
  CHECK(h.cycle(false, 0) == Lines{"1", "2"});
  std::filesystem::rename(dir / "a.jsonl", dir / "a.old");
  h.cycle(false, 10);
  h.cycle(false, 5000);
  REQUIRE(h.saw(TailEvent::Kind::kReleased));
  std::filesystem::rename(dir / "a.old", dir / "a.jsonl");  // moved back
  append_file(dir / "a.jsonl", "3\n");
  CHECK(h.cycle(false, 6000) == Lines{"3"});
}

TEST_CASE("a budget that runs out before every file is read says there is more") {
  TempDir dir;
  TailOptions o = options_for(dir);
  o.cycle_budget_bytes = 2048;
  Harness h(o);
  for (int f = 0; f < 5; ++f) {
    std::string content;
    for (int i = 0; i < 300; ++i)
      content += "file" + std::to_string(f) + "-" + std::to_string(i) + "\n";
    write_file(dir / ("f" + std::to_string(f) + ".jsonl"), content);
  }
  size_t total = 0;
  int cycles = 0;
  do {
    total += h.cycle().size();
    ++cycles;
  } while (h.more() && cycles < 1000);
  CHECK(total == 1500);
}

TEST_CASE("a rotated file is released only once its last batch is acknowledged") {
  TempDir dir;
  Harness h(options_for(dir));
  write_file(dir / "a.jsonl", "1\n");
  CHECK(h.cycle(false, 0) == Lines{"1"});
  h.hold_acknowledgements();
  append_file(dir / "a.jsonl", "2\n");
  std::filesystem::rename(dir / "a.jsonl", dir / "a.old");
  CHECK(h.cycle(false, 10) == Lines{"2"});
  h.cycle(false, 5000);  // past rotate_wait, but "2" is still in flight
  CHECK_FALSE(h.saw(TailEvent::Kind::kReleased));
  CHECK(h.files() == 1);
  h.acknowledge_pending();
  h.cycle(false, 5001);
  CHECK(h.saw(TailEvent::Kind::kReleased));
  CHECK(h.files() == 0);
}

TEST_CASE("an acknowledgement from before a truncation does not move the new offset") {
  TempDir dir;
  Harness h(options_for(dir));
  h.hold_acknowledgements();
  write_file(dir / "a.jsonl", "first-line\nsecond-line\n");
  CHECK(h.cycle() == Lines{"first-line", "second-line"});
  std::filesystem::resize_file(dir / "a.jsonl", 0);
  append_file(dir / "a.jsonl", "x\n");
  CHECK(h.cycle() == Lines{"x"});
  REQUIRE(h.saw(TailEvent::Kind::kTruncated));
  h.acknowledge_pending();  // both batches: only the new generation's progress counts
  REQUIRE(h.committed().entries().size() == 1);
  CHECK(h.committed().entries()[0].stored.offset == 2);
}

TEST_CASE("each cycle reports the followed files with their size, and which are gone") {
  TempDir dir;
  FileTailer tailer(options_for(dir));
  write_file(dir / "a.jsonl", "1\n2\n");
  TailCycle c = tailer.run_cycle({}, false, 0);
  REQUIRE(c.followed.size() == 1);
  CHECK(c.followed[0].path == (dir / "a.jsonl").string());
  CHECK(c.followed[0].size == 4);
  CHECK_FALSE(c.followed[0].gone);

  std::filesystem::rename(dir / "a.jsonl", dir / "a.jsonl.1");
  append_file(dir / "a.jsonl.1", "3\n");
  c = tailer.run_cycle(c.files, false, 10);
  REQUIRE(c.followed.size() == 1);
  CHECK(c.followed[0].path == (dir / "a.jsonl").string());  // the name it was followed under
  CHECK(c.followed[0].size == 6);
  CHECK(c.followed[0].gone);
}
