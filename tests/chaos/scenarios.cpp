#include "tests/chaos/scenarios.h"

#include <cstdio>
#include <random>
#include <thread>

#include "tests/chaos/tmpfs_mount.h"

namespace auditrelay::chaos {
namespace {

// Pacing between fault injections (not a wait for an event).
void pause_for(Clock::duration d) {
  std::this_thread::sleep_for(d);
}

milliseconds random_ms(std::mt19937& random, int low, int high) {
  return milliseconds(std::uniform_int_distribution<int>(low, high)(random));
}

uint64_t es_count(rapidjson::Document& stats, const char* group, const char* status) {
  if (!stats.HasMember(group) || !stats[group].HasMember(status)) return 0;
  return stats[group][status].GetUint64();
}

std::string plural(uint64_t n, const std::string& what) {
  return std::to_string(n) + " " + what;
}

std::vector<ScenarioResult> kill_and_restart(const RunOptions& o) {
  ScenarioRun run("1 kill -9 and restart", o, {.hec = true, .webhook = true});
  run.start({});
  std::mt19937 random(o.seed * 31 + 1);
  uint64_t kills = 0;
  run.run_for(run.pick(seconds(8), seconds(300)), [&] {
    // A random moment: the agent may be reading, appending, syncing, sending or saving.
    pause_for(o.long_mode ? random_ms(random, 1000, 6000) : random_ms(random, 150, 900));
    run.agent().kill9();
    ++kills;
    if (kills % 4 == 0) {
      // Now and then during start-up itself: recovering the buffer, loading offsets.
      run.agent().spawn();
      pause_for(random_ms(random, 0, 60));
      run.agent().kill9();
      ++kills;
    }
    run.agent().start();
  });
  return {run.drain(FaultLog().add(kills, "kills"))};
}

std::vector<ScenarioResult> elasticsearch_down(const RunOptions& o) {
  ScenarioRun run("2 elasticsearch down", o, {});
  run.start({});
  const auto idle = [] { pause_for(milliseconds(50)); };
  run.run_for(run.pick(milliseconds(1500), seconds(20)), idle);
  const auto down = run.pick(seconds(4), seconds(150));
  run.es().down(std::chrono::duration_cast<milliseconds>(down));
  run.run_for(down + milliseconds(500), idle);  // the fake reopens its port by itself
  run.run_for(run.pick(milliseconds(1500), seconds(20)), idle);
  const auto secs = std::chrono::duration_cast<seconds>(down).count();
  return {run.drain(
      FaultLog()
          .add(1, "down " + std::to_string(secs) + " s")
          .note(plural(run.agent().count_in_logs("delivery failing"), "failing streaks")))};
}

std::vector<ScenarioResult> elasticsearch_faults(const RunOptions& o) {
  // Short backoffs: refused items go out again many times while the faults last.
  ScenarioRun run("3 429 items, 503 requests", o, {}, {.retry = "{initial: 10ms, max: 250ms}"});
  run.es().set_faults(R"({"item_429_ratio":0.3,"seed":)" + std::to_string(o.seed) + "}");
  run.start({});
  run.run_for(run.pick(seconds(6), seconds(240)), [&] {
    pause_for(run.pick(seconds(2), seconds(5)));
    run.es().set_faults(R"({"requests_status":503,"requests_count":2,"retry_after":"1"})");
  });
  rapidjson::Document stats = run.es().stats();
  return {run.drain(FaultLog()
                        .add(es_count(stats, "items_by_status", "429"), "items 429")
                        .add(es_count(stats, "requests_by_status", "503"), "requests 503"))};
}

FaultLog& add_backpressure(FaultLog& faults, ScenarioRun& run) {
  char longest[64];
  std::snprintf(longest, sizeof longest, "longest POST %.1f s", run.longest_http_answer_s());
  return faults
      .add(run.agent().count_in_logs("inputs paused until outputs catch up"), "buffer-full pauses")
      .add(run.http_refusals(), "POSTs 503")
      .note(longest);
}

// A full buffer (max_bytes, when_full: block) must answer a POST at once, with 503 and
// Retry-After, not hold it until there is room: its client would time out instead. And it must
// have been full: otherwise the scenario tested nothing.
void check_backpressure(ScenarioRun& run) {
  if (run.agent().count_in_logs("inputs paused until outputs catch up") == 0) {
    run.fail("the buffer never filled: backpressure was not exercised");
  }
  constexpr double kPromptSeconds = 3;
  if (double longest = run.longest_http_answer_s(); longest > kPromptSeconds) {
    run.fail("a POST waited " + std::to_string(longest) +
             " s for its answer while the buffer was full (expected 503 + Retry-After at once)");
  }
}

std::vector<ScenarioResult> slow_receiver(const RunOptions& o) {
  // Small batches answered late: about 650 documents/s in --short (batches of 100 after 300 ms)
  // and 160/s in --long (50 after 600 ms), below what is written, so the small buffer fills and
  // the inputs pause.
  ScenarioRun run(
      "4 slow receiver, backpressure", o, {},
      {.max_bytes = "256KiB", .segment_bytes = "32KiB", .es_batch = o.long_mode ? 50 : 100});
  run.es().set_faults(o.long_mode ? R"({"delay_ms":600})" : R"({"delay_ms":300})");
  run.start({});
  run.run_for(run.pick(seconds(6), seconds(240)), [] { pause_for(milliseconds(100)); });
  check_backpressure(run);
  FaultLog faults;
  return {run.drain(add_backpressure(faults, run))};
}

std::vector<ScenarioResult> rotation(const RunOptions& o) {
  ScenarioRun run("5 rotation every 100 ms", o, {});
  run.start({.rotate_every = milliseconds(100)});
  run.run_for(run.pick(seconds(6), seconds(240)), [] { pause_for(milliseconds(100)); });
  TailWriterStats stats = run.writer().stats();
  return {run.drain(
      FaultLog().add(stats.renames, "renames").add(stats.copytruncates, "copytruncates"))};
}

// Starts the agent and runs it a while, with Elasticsearch down for a spell in the middle, so
// that the buffer fills (the disk-full scenarios).
void run_with_elasticsearch_down(ScenarioRun& run) {
  run.start({});
  const auto idle = [] { pause_for(milliseconds(50)); };
  run.run_for(run.pick(seconds(1), seconds(10)), idle);
  const auto down = run.pick(seconds(5), seconds(100));
  run.es().down(std::chrono::duration_cast<milliseconds>(down));
  run.run_for(down + milliseconds(500), idle);
  run.run_for(run.pick(seconds(1), seconds(10)), idle);
}

ScenarioResult buffer_max_bytes(const RunOptions& o) {
  ScenarioRun run("6a disk full: max_bytes", o, {},
                  {.max_bytes = "256KiB", .segment_bytes = "32KiB"});
  run_with_elasticsearch_down(run);
  check_backpressure(run);
  FaultLog faults;
  return run.drain(add_backpressure(faults, run));
}

ScenarioResult buffer_enospc(const RunOptions& o) {
  // The buffer lives on a tmpfs far smaller than max_bytes: while Elasticsearch is down the
  // segments fill it and appends, offset and cursor saves fail with ENOSPC.
  TmpfsMount mount(o.long_mode ? "4m" : "1m");
  if (!mount.error().empty()) {
    ScenarioResult skipped;
    skipped.name = "6b disk full: ENOSPC";
    skipped.notes.push_back("skipped: " + mount.error());
    return skipped;
  }
  ScenarioRun run("6b disk full: ENOSPC", o, {},
                  {.storage = mount.path() / "state", .segment_bytes = "128KiB"});
  run_with_elasticsearch_down(run);
  const size_t enospc = run.agent().count_in_logs("No space left on device");
  if (enospc == 0) run.fail("the tmpfs never filled: ENOSPC was not exercised");
  return run.drain(FaultLog().add(enospc, "ENOSPC errors logged"));
}

std::vector<ScenarioResult> disk_full(const RunOptions& o) {
  return {buffer_max_bytes(o), buffer_enospc(o)};
}

std::vector<ScenarioResult> reload(const RunOptions& o) {
  ScenarioRun run("7 SIGHUP reloads", o, {});
  run.start({});
  const AgentConfig base = run.config();
  uint64_t hups = 0;
  run.run_for(run.pick(seconds(7), seconds(240)), [&] {
    pause_for(run.pick(milliseconds(1200), seconds(3)));
    AgentConfig next = base;
    switch (hups % 4) {
      case 0:  // a second output appears, batches shrink
        next.es_batch = 200;
        next.file_output = true;
        break;
      case 1:
        break;
      case 2:  // refused: the running pipeline is kept
        next.invalid = true;
        break;
      default:
        next.es_batch = 50;
        next.file_output = true;
    }
    run.rewrite_config(next);
    run.agent().reload();
    ++hups;
  });
  run.rewrite_config(base);  // the drain's `run --once` needs a valid file
  const size_t reloaded = run.agent().count_in_logs("engine: reloaded");
  const size_t refused = run.agent().count_in_logs("reload refused");
  return {run.drain(
      FaultLog()
          .add(hups, "SIGHUPs")
          .note(std::to_string(reloaded) + " reloaded, " + std::to_string(refused) + " refused"))};
}

std::vector<ScenarioResult> combined(const RunOptions& o) {
  ScenarioRun run("8 combined 1-5", o, {.hec = true, .webhook = true},
                  {.max_bytes = "1MiB",
                   .segment_bytes = "64KiB",
                   .es_batch = 200,
                   .retry = "{initial: 20ms, max: 500ms}"});
  run.es().set_faults(R"({"item_429_ratio":0.3,"delay_ms":50,"seed":)" + std::to_string(o.seed) +
                      "}");
  run.start({.rotate_every = milliseconds(100)});
  std::mt19937 random(o.seed * 31 + 8);
  const auto started = Clock::now();
  const auto kill_gap = [&] {
    return o.long_mode ? random_ms(random, 2000, 10000) : random_ms(random, 400, 1500);
  };
  auto next_kill = started + kill_gap();
  auto next_burst = started + run.pick(seconds(1), seconds(10));
  const auto down_at = started + run.pick(seconds(3), seconds(60));
  const auto down_for = run.pick(seconds(2), seconds(120));
  bool went_down = false;
  uint64_t kills = 0;
  run.run_for(run.pick(seconds(9), seconds(360)), [&] {
    pause_for(milliseconds(50));
    const auto now = Clock::now();
    if (now >= next_kill) {
      run.agent().kill9();
      ++kills;
      run.agent().start();
      next_kill = Clock::now() + kill_gap();
    }
    if (now >= next_burst) {
      run.es().set_faults(R"({"requests_status":503,"requests_count":2,"retry_after":"1"})");
      next_burst = now + run.pick(seconds(3), seconds(10));
    }
    if (!went_down && now >= down_at) {
      run.es().down(std::chrono::duration_cast<milliseconds>(down_for));
      went_down = true;
    }
  });
  rapidjson::Document stats = run.es().stats();
  TailWriterStats writer = run.writer().stats();
  FaultLog faults;
  faults.add(kills, "kills")
      .add(went_down ? 1 : 0,
           "down " + std::to_string(std::chrono::duration_cast<seconds>(down_for).count()) + " s")
      .add(es_count(stats, "items_by_status", "429"), "items 429")
      .add(es_count(stats, "requests_by_status", "503"), "requests 503")
      .add(writer.renames + writer.copytruncates, "rotations");
  return {run.drain(add_backpressure(faults, run))};
}

}  // namespace

std::vector<Scenario> all_scenarios() {
  return {
      {1, "kill -9 and restart", kill_and_restart},
      {2, "elasticsearch down", elasticsearch_down},
      {3, "429 items, 503 requests", elasticsearch_faults},
      {4, "slow receiver, backpressure", slow_receiver},
      {5, "rotation every 100 ms", rotation},
      {6, "disk full", disk_full},
      {7, "SIGHUP reloads", reload},
      {8, "combined 1-5", combined},
  };
}

}  // namespace auditrelay::chaos
