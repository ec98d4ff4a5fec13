#include "agent/delivery/cursor_saver.h"

#include <doctest/doctest.h>
#include <uv.h>

#include "tests/agent/buffer/buffer_test_support.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::TempDir;

TEST_CASE("cursor saves wait for the interval unless 16,384 records are waiting") {
  TempDir dir;
  uv_loop_t loop{};
  uv_loop_init(&loop);
  buffer::QueueOptions q;
  q.dir = dir / "buffer";
  q.sync = buffer::SyncMode::kNone;
  auto queue = buffer::DiskQueue::open(q, {"es"});
  queue->append(buffer::test::make_batch(0, 40'000, 4));
  Logger log("test");
  int settled = 0;
  delivery::CursorSaver saver(&loop, "es", *queue, log, [&] { ++settled; });
  auto run_until_settled = [&](int count) {
    while (settled < count && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    REQUIRE(settled == count);
  };

  // The loop's clock, read when a save starts (a very slow machine may pass the interval).
  uint64_t started_ms = uv_now(&loop);
  auto within_interval = [&] { return uv_now(&loop) < started_ms + 100; };

  saver.save(100, false);  // the first save goes at once
  CHECK(saver.saving());
  run_until_settled(1);
  CHECK(queue->cursor("es") == 100);

  saver.save(200, false);  // within the interval: waits
  if (within_interval()) {
    CHECK_FALSE(saver.saving());
    CHECK_FALSE(saver.saved());
  }
  saver.save(100 + 16'384, false);  // too many records waiting: goes now
  CHECK(saver.saving());
  started_ms = uv_now(&loop);
  run_until_settled(2);
  CHECK(queue->cursor("es") == 100 + 16'384);

  saver.save(20'000, false);  // waits again, then goes by itself
  if (within_interval()) CHECK_FALSE(saver.saving());
  run_until_settled(3);
  CHECK(queue->cursor("es") == 20'000);
  CHECK(saver.saved());

  saver.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
}
