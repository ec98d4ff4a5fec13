// The interfaces a plugin implements and the context the core hands it. Plugins include this
// header (and the ones it includes), nothing else from the core.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/config/settings.h"
#include "agent/core/document.h"
#include "agent/core/health.h"
#include "agent/core/log.h"
#include "agent/core/record.h"
#include "agent/metrics/metrics.h"

struct uv_loop_s;

namespace auditrelay::delivery {
class BatchOutput;
}

namespace auditrelay {

struct SubmitOptions {
  // when_full: block and no room: refuse the batch (SubmitResult::refused_full) instead of
  // waiting for room. Nothing of it is appended, and its rejected records are not
  // dead-lettered, so a client that sends it again is not counted twice (HTTP input).
  bool refuse_when_full = false;
};

struct SubmitResult {
  bool refused_full = false;
  // The records the normalizer rejected (they are in the dead-letter file): index in the
  // batch's records(), and "<reason>: <detail>".
  std::vector<std::pair<uint32_t, std::string>> rejected;
};

// Where an input hands its raw records. submit() is called on the loop thread; `done` runs on
// the loop thread once every record of the batch is durable downstream or dead-lettered, in
// submission order. Only then may the input commit its read position (ARCHITECTURE.md,
// "No loss").
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void submit(RawBatch batch, std::function<void()> done) = 0;
  // Like submit(), for an input that answers a client: the batch's documents are appended
  // together (one DiskQueue::append) or not at all, and `done` learns what was rejected. A
  // refused batch is answered at once, possibly ahead of earlier ones.
  virtual void submit_all(RawBatch batch, SubmitOptions options,
                          std::function<void(SubmitResult)> done) = 0;
};

struct InputContext {
  std::string name;  // the instance name
  uv_loop_s* loop = nullptr;
  RecordSink* sink = nullptr;
  std::string state_dir;  // private, durable directory of this instance (exists)
  MetricsRegistry* metrics = nullptr;
  // --once: read what exists now, then call on_idle (loop thread) once all of it is
  // acknowledged, instead of waiting for more.
  bool once = false;
  std::function<void()> on_idle;
};

// A file an input follows, as GET /api/v1/status shows it.
struct InputFileStatus {
  std::string path;      // the name it was found under
  uint64_t offset = 0;   // committed: everything before it is durable downstream
  uint64_t size = 0;     // the file's size now (or when last seen, once it is gone)
  bool rotated = false;  // renamed away or deleted: read to its end, then released
};

// What an input says of itself in GET /api/v1/status, besides what the core knows of every
// input (name, type, records handed in, paused by a full buffer).
struct InputStatus {
  std::optional<std::vector<InputFileStatus>> files;  // set by inputs that read files
  // Set by inputs that listen: the bound address (a port 0 resolved), the connections open
  // now and the requests whose records are being stored.
  std::optional<std::string> listen;
  std::optional<uint64_t> connections;
  std::optional<uint64_t> requests_in_flight;
};

class Input {
 public:
  virtual ~Input() = default;
  // Starts reading. Problems of the world (a directory that does not exist yet) are logged and
  // retried; an exception aborts start-up with its message.
  virtual void start() = 0;
  // Stops reading; calls `stopped` once every submitted batch is acknowledged and the read
  // positions are saved.
  virtual void stop(std::function<void()> stopped) = 0;
  // For the status page; called on the loop thread (also before start() and after stop()), so
  // it reads what the input keeps on that thread, never state a worker may be changing.
  virtual InputStatus status() const { return {}; }
};

struct OutputContext {
  std::string name;
  std::string state_dir;
  MetricsRegistry* metrics = nullptr;
  uv_loop_s* loop = nullptr;  // network outputs send from the loop thread
  Health* health = nullptr;   // for conditions only the output knows of (may be null)
};

// An output that writes documents itself (stdout, file).
class Output {
 public:
  virtual ~Output() = default;
  // Writes one batch. Runs on a worker thread; batches arrive in order, never two at once.
  // Returns an empty string on success, else why it failed: the batch is then written again
  // later, whole, so the output sees it at least once.
  virtual std::string write(const DocumentBatch& batch) = 0;
};

// Checks what the settings table cannot express (ranges, combinations); throws ConfigError
// via Settings::error(). Called by `check` and before create().
using SettingsValidator = void (*)(const Settings& settings);
using InputFactory = std::unique_ptr<Input> (*)(const Settings& settings, InputContext context);
using OutputFactory = std::unique_ptr<Output> (*)(const Settings& settings, OutputContext context);
// Network outputs (agent/delivery/batch_output.h): the BatchDriver batches, retries and
// dead-letters for them.
using BatchOutputFactory = std::unique_ptr<delivery::BatchOutput> (*)(const Settings& settings,
                                                                      OutputContext context);

// What `check --connect` learnt from an output's endpoint. Neither field may hold a secret.
struct ProbeResult {
  bool ok = false;
  std::string target;   // what was contacted, e.g. the URL(s), without credentials
  std::string message;  // one line: what answered, or what to fix
};
// Tries an output's endpoint and credentials the way the output would use them, without
// writing anything (no data sent, no files created). Called on the main thread with no loop
// running; it may block up to the output's own timeouts. `context.state_dir` is the path the
// output would use (it may not exist); `context.loop` and `context.metrics` are null.
using OutputProbe = ProbeResult (*)(const Settings& settings, const OutputContext& context);

struct InputPlugin {
  std::string_view type;
  std::string_view description;
  SettingsSpec settings;
  SettingsValidator validate;  // may be null
  InputFactory create;
};

struct OutputPlugin {
  std::string_view type;
  std::string_view description;
  SettingsSpec settings;
  SettingsValidator validate;  // may be null
  OutputFactory create;        // exactly one of create and create_batch is set
  BatchOutputFactory create_batch = nullptr;
  OutputProbe probe = nullptr;  // null: nothing to connect to (stdout, file)
};

}  // namespace auditrelay
