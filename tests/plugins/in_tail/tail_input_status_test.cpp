// The tail input's status (Input::status()) as the monitoring page gets it: the files it
// follows, the committed offset that moves only when a batch is acknowledged, and a rotated
// file until it is released. Runs the real input on a libuv loop against a sink that the test
// acknowledges by hand.
#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "plugins/in_tail/in_tail.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::append_file;
using auditrelay::test::TempDir;
using auditrelay::test::write_file;

namespace {

Settings load(const std::string& input) {
  static const SettingsSpec none{};
  ConfigSchema schema;
  schema.plugin = [](std::string_view kind, std::string_view type) -> const SettingsSpec* {
    if (kind == "input" && type == "tail") return &kTailInput.settings;
    if (kind == "output" && type == "x") return &none;
    return nullptr;
  };
  schema.plugin_types = [](std::string_view) { return std::vector<std::string>{"tail", "x"}; };
  PipelineConfig config =
      load_config_text("pipeline:\n  outputs: [{type: x}]\n  inputs:\n    - type: tail\n" + input,
                       "a.yaml", "/", schema);
  kTailInput.validate(config.inputs.at(0).settings);
  return config.inputs.at(0).settings;
}

// Keeps what the input submits; the test acknowledges it (on the loop thread, between runs).
class HeldSink : public RecordSink {
 public:
  void submit(RawBatch batch, std::function<void()> done) override {
    records += batch.size();
    pending.push_back(std::move(done));
  }
  void submit_all(RawBatch, SubmitOptions, std::function<void(SubmitResult)>) override {
    FAIL("the tail input submits with submit()");
  }
  void acknowledge_all() {
    auto done = std::move(pending);
    pending.clear();
    for (auto& d : done)
      d();
  }
  size_t records = 0;
  std::vector<std::function<void()>> pending;
};

struct TailUnderTest {
  explicit TailUnderTest(const TempDir& dir) {
    uv_loop_init(&loop);
    std::filesystem::create_directories(dir / "state");
    Settings settings = load("      paths: [\"" + (dir / "*.jsonl").string() +
                             "\"]\n"
                             "      read_from_head: true\n"
                             "      refresh_interval: 20ms\n"
                             "      rotate_wait: 50ms\n");
    InputContext ctx;
    ctx.name = "gateway";
    ctx.loop = &loop;
    ctx.sink = &sink;
    ctx.state_dir = (dir / "state").string();
    ctx.metrics = &metrics;
    input = kTailInput.create(settings, std::move(ctx));
  }
  ~TailUnderTest() {
    bool stopped = false;
    input->stop([&] { stopped = true; });
    run_until([&] {
      sink.acknowledge_all();
      return stopped;
    });
    input.reset();
    uv_run(&loop, UV_RUN_DEFAULT);  // lets the handles close
    uv_loop_close(&loop);
  }
  // Runs the loop until `condition` holds (checked between turns), for at most 10 s.
  bool run_until(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop, UV_RUN_ONCE);  // the refresh timer wakes it at least every 20 ms
    }
    return true;
  }
  std::vector<InputFileStatus> files() const { return input->status().files.value(); }

  uv_loop_t loop{};
  MetricsRegistry metrics;
  HeldSink sink;
  std::unique_ptr<Input> input;
};

}  // namespace

TEST_CASE("tail status: files with their size; the offset moves once the batch is acknowledged") {
  TempDir dir;
  const std::string content = "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n";
  write_file(dir / "a.jsonl", content);
  TailUnderTest tail(dir);
  REQUIRE(tail.input->status().files);  // a file input: the list exists before anything is read
  CHECK(tail.files().empty());
  tail.input->start();

  // Read and submitted, not yet acknowledged: nothing is committed, all of it is lag.
  REQUIRE(tail.run_until([&] { return tail.sink.records == 3; }));
  std::vector<InputFileStatus> files = tail.files();
  REQUIRE(files.size() == 1);
  CHECK(files[0].path == (dir / "a.jsonl").string());
  CHECK(files[0].offset == 0);
  CHECK(files[0].size == content.size());
  CHECK_FALSE(files[0].rotated);

  tail.sink.acknowledge_all();
  CHECK(tail.files()[0].offset == content.size());

  // Written since the last read: the size is the file's now (a stat), so the lag shows it at
  // once, even before the input reads it.
  append_file(dir / "a.jsonl", "{\"n\":4}\n");
  CHECK(tail.files()[0].size == content.size() + 8);
  CHECK(tail.files()[0].offset == content.size());
  REQUIRE(tail.run_until([&] { return tail.sink.records == 4; }));
  tail.sink.acknowledge_all();
  CHECK(tail.files()[0].offset == content.size() + 8);
}

TEST_CASE("tail status: a rotated file is listed as rotated until it is released") {
  TempDir dir;
  write_file(dir / "a.jsonl", "{\"n\":1}\n");
  TailUnderTest tail(dir);
  tail.input->start();
  REQUIRE(tail.run_until([&] { return tail.sink.records == 1; }));
  tail.sink.acknowledge_all();

  std::filesystem::rename(dir / "a.jsonl", dir / "a.jsonl.1");
  append_file(dir / "a.jsonl.1", "{\"n\":2}\n");  // the writer has not reopened yet
  write_file(dir / "a.jsonl", "{\"n\":3}\n{\"n\":4}\n");
  // Both are followed for rotate_wait; hold the acknowledgements so the old one stays.
  REQUIRE(tail.run_until([&] { return tail.sink.records == 4; }));
  std::vector<InputFileStatus> files = tail.files();
  REQUIRE(files.size() == 2);
  const InputFileStatus& old_file = files[0].rotated ? files[0] : files[1];
  const InputFileStatus& new_file = files[0].rotated ? files[1] : files[0];
  CHECK(old_file.rotated);
  CHECK_FALSE(new_file.rotated);
  CHECK(old_file.path == (dir / "a.jsonl").string());  // the name it was followed under
  CHECK(old_file.size == 16);                          // as the tailer last saw it
  CHECK(old_file.offset == 8);
  CHECK(new_file.path == (dir / "a.jsonl").string());
  CHECK(new_file.size == 16);
  CHECK(new_file.offset == 0);

  // Acknowledged and past rotate_wait: the old file is released, the new one is caught up.
  REQUIRE(tail.run_until([&] {
    tail.sink.acknowledge_all();
    return tail.files().size() == 1;
  }));
  files = tail.files();
  CHECK_FALSE(files[0].rotated);
  CHECK(files[0].offset == 16);
  CHECK(files[0].size == 16);
}
