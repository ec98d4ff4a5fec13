#include "agent/delivery/cursor_saver.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <memory>
#include <vector>

#include "tests/agent/buffer/buffer_test_support.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::TempDir;

namespace {

// A queue with the one output "es", without fsyncs.
std::unique_ptr<buffer::DiskQueue> open_queue(const TempDir& dir) {
  buffer::QueueOptions q;
  q.dir = dir / "buffer";
  q.sync = buffer::SyncMode::kNone;
  return buffer::DiskQueue::open(q, {"es"});
}

}  // namespace

TEST_CASE("cursor saves wait for the interval unless 16,384 records are waiting") {
  TempDir dir;
  uv_loop_t loop{};
  uv_loop_init(&loop);
  auto queue = open_queue(dir);
  queue->append(buffer::test::make_batch(0, 40'000, 4));
  Logger log("test");
  auto saver = std::make_unique<delivery::CursorSaver>(&loop, "es", *queue, log, [] {});
  auto run_until_saved = [&] {
    while (!(saver->saved() && !saver->saving()) && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    REQUIRE(saver->saved());
  };
  // The loop's clock when the first save started: a slow machine (a sanitizer build) may pass
  // the interval before the next step, and then nothing waits.
  const uint64_t started_ms = uv_now(&loop);
  auto within_interval = [&] { return uv_now(&loop) < started_ms + 100; };

  saver->save(100, false);  // the first save goes at once
  CHECK(saver->saving());
  run_until_saved();
  CHECK(queue->cursor("es") == 100);

  saver->save(200, false);
  if (within_interval()) {
    CHECK_FALSE(saver->saving());  // waits for the interval
    saver->save(100 + 16'384, false);
    CHECK(saver->saving());  // too many records waiting: goes now
  } else {
    saver->save(100 + 16'384, false);
  }
  run_until_saved();
  CHECK(queue->cursor("es") == 100 + 16'384);

  saver->save(20'000, false);  // goes at once or after the interval, by itself
  run_until_saved();
  CHECK(queue->cursor("es") == 20'000);

  saver.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
}

TEST_CASE("a save asked for at once does not wait: neither for the interval nor behind another") {
  TempDir dir;
  uv_loop_t loop{};
  uv_loop_init(&loop);
  auto queue = open_queue(dir);
  queue->append(buffer::test::make_batch(0, 1'000, 4));
  Logger log("test");
  std::unique_ptr<delivery::CursorSaver> saver;
  std::vector<bool> saving_when_settled;  // whether the next save had started, after each
  saver = std::make_unique<delivery::CursorSaver>(
      &loop, "es", *queue, log, [&] { saving_when_settled.push_back(saver->saving()); });
  auto run_until_saved = [&] {
    while (!(saver->saved() && !saver->saving()) && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    REQUIRE(saver->saved());
  };

  saver->save(100, false);
  run_until_saved();
  // Waiting for the interval, then asked for at once (a drain): it goes now.
  saver->save(200, false);
  saver->save(300, true);
  CHECK(saver->saving());
  // Asked for at once while a save is under way: the one after it goes as soon as it is done,
  // so a drain that waits for saved() never waits for an interval (a reload's next instance
  // reads this cursor: what was delivered must not go again).
  saving_when_settled.clear();
  saver->save(400, true);
  run_until_saved();
  CHECK(queue->cursor("es") == 400);
  CHECK(saving_when_settled == std::vector<bool>{true, false});  // 400 went right after 300

  saver.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
}
