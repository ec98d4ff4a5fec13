#include "plugins/in_tail/in_tail.h"

#include <sys/stat.h>
#include <uv.h>

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include "agent/loop/handle.h"
#include "plugins/in_tail/committed_offsets.h"
#include "plugins/in_tail/file_tailer.h"
#include "plugins/in_tail/offset_store.h"

namespace auditrelay {
namespace {

constexpr std::array<std::string_view, 2> kWatchers{"auto", "poll"};

constexpr std::array kSettings{
    SettingSpec{.key = "paths",
                .type = SettingType::kPathList,
                .doc = "Glob patterns of the files to follow",
                .required = true},
    SettingSpec{.key = "exclude",
                .type = SettingType::kPathList,
                .doc = "Glob patterns of matched paths to leave alone"},
    SettingSpec{.key = "read_from_head",
                .type = SettingType::kBool,
                .default_value = "false",
                .doc = "At the very first start, read existing files from their start, not end"},
    SettingSpec{.key = "refresh_interval",
                .type = SettingType::kDuration,
                .default_value = "1s",
                .doc = "How often globs are re-scanned and files polled, besides inotify events"},
    SettingSpec{.key = "rotate_wait",
                .type = SettingType::kDuration,
                .default_value = "5s",
                .doc = "How long a renamed or deleted file is still read before it is released"},
    SettingSpec{.key = "watcher",
                .type = SettingType::kEnum,
                .default_value = "auto",
                .doc = "auto: inotify where it works, polling otherwise; poll: polling only",
                .choices = kWatchers},
    SettingSpec{.key = "max_record_bytes",
                .type = SettingType::kSize,
                .default_value = "1MiB",
                .doc = "Longer lines are dead-lettered (first 1 KiB kept) and skipped"},
};

// At most this many batches wait for acknowledgement; reading pauses beyond (backpressure).
// Four keep the pipeline busy (one stored, one normalized ahead, two read) and bound memory.
constexpr int kMaxBatchesInFlight = 4;
// A shutdown waits for this many failed offset saves (one a second) before it gives up.
constexpr unsigned kSaveAttemptsAtStop = 3;
// Offsets are saved at most every kSaveIntervalMs, or sooner when this many acknowledged records
// would otherwise be read again after a crash.
constexpr uint64_t kSaveIntervalMs = 100;
constexpr uint64_t kMaxUnsavedRecords = 16'384;

int64_t now_ms(uv_loop_t* loop) {
  return static_cast<int64_t>(uv_now(loop));
}

class TailInput : public Input {
 public:
  TailInput(TailOptions options, const Settings& settings, InputContext context)
      : ctx_(std::move(context)),
        log_("in_tail[" + ctx_.name + "]"),
        tailer_(std::move(options)),
        store_(std::filesystem::path(ctx_.state_dir) / "offsets.json"),
        read_from_head_(settings.boolean("read_from_head")),
        poll_only_(settings.string("watcher") == "poll"),
        refresh_ms_(static_cast<uint64_t>(settings.duration("refresh_interval").count())),
        patterns_(settings.strings("paths")),
        timer_(ctx_.loop),
        save_retry_(ctx_.loop) {
    auto& m = *ctx_.metrics;
    MetricLabels labels{{"input", ctx_.name}};
    lines_read_ = &m.counter("auditrelay_tail_lines_read_total", "Lines read from files", labels);
    rotations_ = &m.counter("auditrelay_tail_rotations_total",
                            "Followed files renamed, deleted or truncated", labels);
    files_ = &m.gauge("auditrelay_tail_files", "Files being followed", labels);
  }

  void start() override {
    OffsetStore::Loaded loaded = store_.load();
    if (!loaded.warning.empty()) log_.warn(loaded.warning);
    committed_.load(std::move(loaded.offsets));
    start_at_end_ = !loaded.existed && !read_from_head_;
    watch_directories();
    timer_.start(refresh_ms_, refresh_ms_, [this] {
      watch_directories();
      schedule();
    });
    schedule();
  }

  void stop(std::function<void()> stopped) override {
    stopping_ = true;
    on_stopped_ = std::move(stopped);
    timer_.close();
    watchers_.clear();
    maybe_finish_stop();
  }

  // From the loop thread's own copies (followed_, committed_), which only the loop thread
  // changes; the tailer itself belongs to the worker. A file still found under its name is
  // stat()ed now, so the lag shows what was written since the last cycle, and while reading is
  // held back by a full buffer.
  InputStatus status() const override {
    InputStatus result;
    std::vector<InputFileStatus>& files = result.files.emplace();
    for (const FollowedFile& f : followed_) {
      InputFileStatus file{f.path, 0, f.size, f.gone};
      for (const CommittedOffset& c : committed_.entries()) {
        if (c.stored.identity == f.identity && c.generation == f.generation) {
          file.offset = c.stored.offset;
        }
      }
      struct stat st {};
      if (!f.gone && ::stat(f.path.c_str(), &st) == 0 &&
          FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)} ==
              f.identity) {
        file.size = static_cast<uint64_t>(st.st_size);
      }
      files.push_back(std::move(file));
    }
    return result;
  }

 private:
  // inotify on each directory named by a pattern (where the directory part has no wildcard);
  // directories that do not exist yet are tried again at each refresh.
  void watch_directories() {
    if (poll_only_ || stopping_) return;
    for (const auto& pattern : patterns_) {
      std::string dir = std::filesystem::path(pattern).parent_path().string();
      if (dir.find_first_of("*?[") != std::string::npos || watched_.count(dir) > 0) continue;
      auto w = std::make_unique<loop::FsEvent>(ctx_.loop);
      int rc = w->start(dir, [this](const char*, int) { schedule(); });
      if (rc == 0) {
        watched_.insert(dir);
        watchers_.push_back(std::move(w));
      } else if (rc != UV_ENOENT && unwatchable_.insert(dir).second) {
        // Typically the inotify watch limit (fs.inotify.max_user_watches): polling still works.
        log_.warn("cannot watch directory with inotify; polling it every refresh_interval",
                  {{"dir", dir}, {"error", uv_strerror(rc)}});
      }
    }
  }

  void schedule() {
    if (stopping_) return;
    if (cycle_running_ || in_flight_ >= kMaxBatchesInFlight) {
      wanted_ = true;
      return;
    }
    wanted_ = false;
    cycle_running_ = true;
    auto snapshot = committed_.entries();
    auto result = std::make_shared<TailCycle>();
    bool at_end = start_at_end_;
    int64_t now = now_ms(ctx_.loop);
    loop::queue_work(
        ctx_.loop,
        [this, snapshot = std::move(snapshot), result, at_end, now] {
          *result = tailer_.run_cycle(snapshot, at_end, now);
        },
        [this, result](const std::string& error) {
          cycle_running_ = false;
          if (!error.empty()) {
            log_.error("reading files failed", {{"error", error}});
          } else {
            apply(std::move(*result));
          }
          if (stopping_) {
            maybe_finish_stop();
          } else if (wanted_) {
            schedule();
          } else {
            check_idle();
          }
        });
  }

  void apply(TailCycle cycle) {
    start_at_end_ = false;  // only files present at the very first start begin at their end
    // Write the store after the first cycle even when it is empty: its existence is what
    // tells the next start that this is not the very first one.
    if (!saved_once_) dirty_ = true;
    log_events(cycle.events);
    if (committed_.sync(cycle.files)) dirty_ = true;
    followed_ = std::move(cycle.followed);
    files_->set(static_cast<int64_t>(cycle.files.size()));
    if (!cycle.batch.empty()) {
      const uint64_t records = cycle.batch.size();
      lines_read_->inc(records);
      ++in_flight_;
      ctx_.sink->submit(std::move(cycle.batch),
                        [this, records, progress = std::move(cycle.progress)] {
                          unsaved_records_ += records;
                          acknowledged(progress);
                        });
    }
    if (cycle.more) wanted_ = true;
    save_offsets();
  }

  void acknowledged(const std::vector<FileProgress>& progress) {
    --in_flight_;
    if (committed_.acknowledge(progress)) dirty_ = true;
    save_offsets();
    if (stopping_) {
      maybe_finish_stop();
    } else if (wanted_) {
      schedule();
    } else {
      check_idle();
    }
  }

  // Persists the committed offsets off the loop thread, one save at a time. A failed save
  // (disk full, read-only storage) is retried after a pause, logged once per streak; nothing is
  // lost meanwhile, the records would only be read again after a restart.
  void save_offsets() {
    const bool too_many_unsaved = unsaved_records_ >= kMaxUnsavedRecords;
    if (save_retry_pending_ && save_failures_ == 0 && too_many_unsaved) {
      save_retry_.stop();  // waiting for the interval only
      save_retry_pending_ = false;
    }
    if (!dirty_ || saving_ || save_retry_pending_) return;
    // Each save costs two fsyncs: at most one every kSaveIntervalMs while reading, unless
    // kMaxUnsavedRecords wait (what was acknowledged since the last save is only read again after
    // a crash, with the same record ids). Stopping saves at once.
    const uint64_t now = uv_now(ctx_.loop);
    if (!stopping_ && !too_many_unsaved && last_save_ms_ &&
        now < *last_save_ms_ + kSaveIntervalMs) {
      save_retry_pending_ = true;
      save_retry_.start(*last_save_ms_ + kSaveIntervalMs - now, 0, [this] {
        save_retry_pending_ = false;
        save_offsets();
        if (stopping_) maybe_finish_stop();
      });
      return;
    }
    last_save_ms_ = now;
    dirty_ = false;
    unsaved_records_ = 0;
    saving_ = true;
    auto offsets = std::make_shared<std::vector<StoredOffset>>(committed_.stored());
    auto error = std::make_shared<std::string>();
    loop::queue_work(
        ctx_.loop, [this, offsets, error] { *error = store_.save(*offsets); },
        [this, error](const std::string& thrown) {
          saving_ = false;
          saved_once_ = true;
          save_failed(error->empty() ? thrown : *error);
          if (stopping_) {
            maybe_finish_stop();
          } else {
            save_offsets();
          }
        });
  }

  void save_failed(const std::string& error) {
    if (error.empty()) {
      if (save_failures_ > 0) log_.info("saving read offsets works again");
      save_failures_ = 0;
      return;
    }
    dirty_ = true;
    if (save_failures_++ == 0) {
      log_.error("saving read offsets failed; retrying every second", {{"error", error}});
    }
    if (stopping_ && save_failures_ >= kSaveAttemptsAtStop) {
      log_.error(
          "giving up saving read offsets at shutdown; records since the last save will "
          "be read again at the next start",
          {{"error", error}});
      dirty_ = false;
      return;
    }
    save_retry_pending_ = true;
    save_retry_.start(1000, 0, [this] {
      save_retry_pending_ = false;
      save_offsets();
      if (stopping_) maybe_finish_stop();
    });
  }

  void check_idle() {
    if (!ctx_.once || idle_reported_ || cycle_running_ || in_flight_ > 0 || wanted_) return;
    idle_reported_ = true;
    ctx_.on_idle();
  }

  void maybe_finish_stop() {
    if (!on_stopped_ || cycle_running_ || in_flight_ > 0 || saving_ || save_retry_pending_) {
      return;
    }
    if (dirty_) {
      save_offsets();
      return;
    }
    log_.info("stopped", {{"files", committed_.entries().size()}});
    save_retry_.close();
    auto done = std::move(on_stopped_);
    on_stopped_ = nullptr;
    done();
  }

  void log_events(const std::vector<TailEvent>& events) {
    for (const auto& e : events) {
      switch (e.kind) {
        case TailEvent::Kind::kOpened:
          log_.info("following file",
                    {{"path", e.path}, {"offset", e.offset}, {"resumed", e.detail == "resumed"}});
          unreadable_.erase(e.path);
          break;
        case TailEvent::Kind::kRotated:
          rotations_->inc();
          log_.info("file renamed away; reading it to its end", {{"path", e.path}});
          break;
        case TailEvent::Kind::kDeleted:
          rotations_->inc();
          log_.info("file deleted; reading it to its end", {{"path", e.path}});
          break;
        case TailEvent::Kind::kTruncated:
          rotations_->inc();
          log_.info("file truncated; reading it again from the start",
                    {{"path", e.path}, {"previous_offset", e.offset}});
          break;
        case TailEvent::Kind::kReleased:
          log_.info("file released", {{"path", e.path}, {"offset", e.offset}});
          break;
        case TailEvent::Kind::kError:
          // Once per path until it works again, so a permission problem does not flood.
          if (unreadable_.insert(e.path).second) {
            log_.warn("cannot read file", {{"path", e.path}, {"error", e.detail}});
          }
          break;
      }
    }
  }

  InputContext ctx_;
  Logger log_;
  FileTailer tailer_;  // touched by the worker only while cycle_running_
  OffsetStore store_;
  bool read_from_head_;
  bool poll_only_;
  uint64_t refresh_ms_;
  std::vector<std::string> patterns_;

  loop::Timer timer_;
  std::vector<std::unique_ptr<loop::FsEvent>> watchers_;
  std::set<std::string> watched_;
  std::set<std::string> unreadable_;
  std::set<std::string> unwatchable_;

  CommittedOffsets committed_;
  std::vector<FollowedFile> followed_;  // as the last cycle saw them (for status())
  bool start_at_end_ = false;
  bool cycle_running_ = false;
  bool wanted_ = false;  // another cycle is due as soon as one may run
  int in_flight_ = 0;
  bool dirty_ = false;
  bool saving_ = false;
  bool saved_once_ = false;
  bool save_retry_pending_ = false;
  std::optional<uint64_t> last_save_ms_;  // uv_now() when the last save started
  uint64_t unsaved_records_ = 0;          // acknowledged since the last save started
  unsigned save_failures_ = 0;
  loop::Timer save_retry_;
  bool stopping_ = false;
  bool idle_reported_ = false;
  std::function<void()> on_stopped_;

  Counter* lines_read_;
  Counter* rotations_;
  Gauge* files_;
};

void validate(const Settings& settings) {
  if (settings.strings("paths").empty()) {
    throw settings.error("paths", "must name at least one pattern");
  }
  uint64_t max_record = settings.size("max_record_bytes");
  if (max_record < 64 || max_record > (256u << 20)) {
    throw settings.error("max_record_bytes", "must be between 64 B and 256 MiB");
  }
  if (settings.duration("refresh_interval").count() <= 0) {
    throw settings.error("refresh_interval", "must be positive");
  }
}

std::unique_ptr<Input> create(const Settings& settings, InputContext context) {
  TailOptions options;
  options.patterns = settings.strings("paths");
  if (settings.has("exclude")) options.excludes = settings.strings("exclude");
  options.max_record_bytes = settings.size("max_record_bytes");
  options.rotate_wait_ms = settings.duration("rotate_wait").count();
  return std::make_unique<TailInput>(std::move(options), settings, std::move(context));
}

}  // namespace

const InputPlugin kTailInput{
    .type = "tail",
    .description = "Follows JSON-lines files through rotation and restarts",
    .settings = kSettings,
    .validate = validate,
    .create = create,
};

}  // namespace auditrelay
