#include "agent/core/engine.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "agent/core/config_schema.h"
#include "agent/core/durable_io.h"
#include "agent/core/listen_address.h"
#include "agent/core/monitoring.h"
#include "agent/core/output_driver.h"
#include "agent/delivery/batch_driver.h"

namespace auditrelay {
namespace {

namespace fs = std::filesystem;

// Elasticsearch data stream names are logs-<dataset>-<namespace>: both parts lower case,
// no '-' (which separates them), no spaces or reserved characters.
bool valid_data_stream_part(const std::string& s, bool allow_dot) {
  if (s.empty() || s.size() > 100) return false;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (allow_dot && c == '.');
    if (!ok) return false;
  }
  return true;
}

NormalizeOptions normalize_options(const Settings& pipeline) {
  const Settings& n = pipeline.section("normalize");
  NormalizeOptions options;
  options.dataset = n.string("dataset");
  options.namespace_ = n.string("namespace");
  options.service_name = n.string("service_name");
  if (!valid_data_stream_part(options.dataset, true)) {
    throw n.error("dataset",
                  "must be lower case letters, digits, '_' or '.' (it names a data "
                  "stream: logs-<dataset>-<namespace>)");
  }
  if (!valid_data_stream_part(options.namespace_, false)) {
    throw n.error("namespace",
                  "must be lower case letters, digits or '_' (it names a data "
                  "stream: logs-<dataset>-<namespace>)");
  }
  int64_t depth = n.integer("max_depth");
  if (depth < 1 || depth > 1000) throw n.error("max_depth", "must be between 1 and 1000");
  options.max_depth = static_cast<unsigned>(depth);
  return options;
}

// Leaves without unwinding: worker threads may still hold pipeline state, and nothing
// unacknowledged has been committed, so the next start reads it again.
[[noreturn]] void exit_now(int code) {
  std::fflush(stdout);
  std::_Exit(code);
}

buffer::SyncMode queue_sync_mode(const Settings& storage) {
  const std::string& sync = storage.string("sync");
  if (sync == "always") return buffer::SyncMode::kAlways;
  if (sync == "none") return buffer::SyncMode::kNone;
  return buffer::SyncMode::kBatch;
}

buffer::QueueOptions queue_options(const Settings& storage, fs::path dir) {
  buffer::QueueOptions o;
  o.dir = std::move(dir);
  o.segment_bytes = storage.size("segment_bytes");
  o.max_bytes = storage.size("max_bytes");
  o.compression_level = static_cast<int>(storage.integer("compression_level"));
  o.sync = queue_sync_mode(storage);
  o.when_full = storage.string("when_full") == "drop_oldest" ? buffer::WhenFull::kDropOldest
                                                             : buffer::WhenFull::kBlock;
  return o;
}

fs::path ensure_directory(const fs::path& dir) {
  std::string error = create_private_directories(dir);
  if (!error.empty()) throw std::runtime_error("cannot create directory: " + error);
  return dir;
}

}  // namespace

Engine::Engine(const PipelineConfig& config, const PluginRegistry& plugins, RunOptions options)
    : config_(&config), plugins_(plugins), options_(options) {
  uv_loop_init(&loop_);
  notify_ = std::make_unique<ServiceNotify>(&loop_);
}

Engine::~Engine() {
  monitoring_server_.reset();
  inputs_.clear();
  sinks_.clear();
  pipeline_.reset();
  drivers_.clear();
  queue_.reset();
  signals_.clear();
  shutdown_timer_.reset();
  reload_timer_.reset();
  notify_.reset();  // its watchdog timer closes while the loop still exists
  // Let the close callbacks of the handles above run, then release the loop.
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void Engine::validate(const PipelineConfig& config, const PluginRegistry& plugins) {
  normalize_options(config.pipeline);
  const Settings& http_server = config.service.section("http_server");
  if (http_server.has("listen") && !parse_listen_address(http_server.string("listen"))) {
    throw http_server.error("listen", "must be host:port, [ipv6]:port or a port (0-65535)");
  }
  for (const InstanceConfig& ic : config.inputs) {
    if (auto check = plugins.input(ic.type)->validate) check(ic.settings);
  }
  for (const InstanceConfig& oc : config.outputs) {
    if (auto check = plugins.output(oc.type)->validate) check(oc.settings);
  }
}

void Engine::build() {
  validate(*config_, plugins_);
  const Settings& storage_settings = config_->service.section("storage");
  fs::path storage = storage_settings.string("path");
  ensure_directory(storage);
  const Settings& http_server = config_->service.section("http_server");
  if (!health_) {  // kept across reloads: the monitoring server refers to it
    health_ = std::make_unique<Health>(
        HealthSettings{.output_failing_after = http_server.duration("output_failing_after")});
  }
  const Settings& dl = config_->pipeline.section("dead_letter");
  fs::path dead_letter =
      dl.has("path") ? fs::path(dl.string("path")) : storage / "dead_letter.ndjson";

  // The disk queue first: opening it repairs what a crash left (logged, never fatal).
  std::vector<std::string> output_names;
  for (const InstanceConfig& oc : config_->outputs)
    output_names.push_back(oc.name);
  buffer::RecoveryReport report;
  buffer::QueueOptions queue_opts = queue_options(storage_settings, storage / "buffer");
  queue_ = buffer::DiskQueue::open(queue_opts, output_names, &report);
  for (const auto& note : report.notes)
    log_.warn("buffer recovery", {{"detail", note}});
  log_.info("buffer opened", {{"segments", report.segments},
                              {"records", report.records},
                              {"torn_bytes_cut", report.torn_bytes_cut},
                              {"corrupt_frames", report.corrupt_frames}});
  metrics_
      .counter("auditrelay_buffer_corrupt_frames_total",
               "Corrupt buffer frames found at start and set aside in <storage>/buffer/corrupt")
      .inc(report.corrupt_frames);

  for (const InstanceConfig& oc : config_->outputs) {
    const OutputPlugin* plugin = plugins_.output(oc.type);
    fs::path state_dir = ensure_directory(storage / "outputs" / oc.name);
    OutputContext ctx{oc.name, state_dir.string(), &metrics_, &loop_, health_.get()};
    if (plugin->create_batch != nullptr) {
      drivers_.push_back(std::make_unique<delivery::BatchDriver>(
          &loop_, oc.name, plugin->create_batch(oc.settings, std::move(ctx)),
          delivery::delivery_options(oc.settings, state_dir), *queue_, metrics_, nullptr, nullptr,
          health_.get()));
    } else {
      drivers_.push_back(std::make_unique<OutputDriver>(&loop_, oc.name,
                                                        plugin->create(oc.settings, std::move(ctx)),
                                                        *queue_, metrics_, health_.get()));
    }
  }
  PipelineOptions pipeline_options;
  pipeline_options.normalize = normalize_options(config_->pipeline);
  pipeline_options.dead_letter_path = dead_letter;
  pipeline_options.sync = queue_opts.sync;
  pipeline_options.sync_interval = storage_settings.duration("sync_interval");
  pipeline_options.when_full = queue_opts.when_full;
  pipeline_options.health = health_.get();
  pipeline_ =
      std::make_unique<Pipeline>(&loop_, std::move(pipeline_options), *queue_, metrics_, [this] {
        for (auto& d : drivers_)
          d->wake();
      });

  for (const InstanceConfig& ic : config_->inputs) {
    Schema schema = Schema::kAuto;
    parse_schema(ic.common.string("schema"), schema);
    sinks_.push_back(pipeline_->sink_for(ic.name, schema));
    // The series sink_for() registered: what the pipeline counted for this input.
    input_records_.push_back(
        &metrics_.counter("auditrelay_input_records_total", "", {{"input", ic.name}}));
    InputContext ctx;
    ctx.name = ic.name;
    ctx.loop = &loop_;
    ctx.sink = sinks_.back().get();
    ctx.state_dir = ensure_directory(storage / "inputs" / ic.name).string();
    ctx.metrics = &metrics_;
    ctx.once = options_.once;
    ctx.on_idle = [this] { input_idle(); };
    inputs_.push_back(plugins_.input(ic.type)->create(ic.settings, std::move(ctx)));
  }
}

int Engine::run() {
  try {
    build();
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    log_.error("start-up failed", {{"error", e.what()}});
    return 1;
  }

  for (int sig : {SIGINT, SIGTERM}) {
    auto s = std::make_unique<loop::Signal>(&loop_);
    s->start(sig, [this](int signum) { begin_shutdown(signum == SIGINT ? "SIGINT" : "SIGTERM"); });
    signals_.push_back(std::move(s));
  }
  if (!options_.once) {
    auto hup = std::make_unique<loop::Signal>(&loop_);
    hup->start(SIGHUP, [this](int) { begin_reload(); });
    signals_.push_back(std::move(hup));
  }
  std::signal(SIGPIPE, SIG_IGN);

  try {
    start_instances();
  } catch (const std::exception& e) {
    // Inputs started before the failing one may have work on the thread pool: stop them the
    // normal way and let the loop drain before anything is destroyed.
    log_.error("start-up failed", {{"error", e.what()}});
    begin_shutdown("start-up failed");
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 1;
  }
  try {
    start_monitoring();
  } catch (const std::exception& e) {
    log_.error("start-up failed", {{"error", e.what()}});
    begin_shutdown("start-up failed");
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 1;
  }
  log_.info("started", {{"inputs", inputs_.size()},
                        {"outputs", config_->outputs.size()},
                        {"config", config_->file.string()}});
  notify_->ready();
  notify_->start_watchdog();

  uv_run(&loop_, UV_RUN_DEFAULT);
  return 0;
}

void Engine::start_instances() {
  inputs_running_ = inputs_.size();
  inputs_busy_ = inputs_.size();
  for (auto& input : inputs_)
    input->start();
  for (auto& d : drivers_)
    d->start();
}

void Engine::stop_inputs() {
  inputs_running_ = inputs_.size();
  if (inputs_.empty()) {
    input_stopped();
    return;
  }
  for (auto& input : inputs_)
    input->stop([this] { input_stopped(); });
}

void Engine::begin_shutdown(const char* why) {
  if (stopping_) {
    log_.warn("second stop request; exiting now, unacknowledged records will be read again",
              {{"signal", why}});
    exit_now(1);
  }
  stopping_ = true;
  notify_->stopping();
  auto timeout = config_->service.duration("shutdown_timeout");
  log_.info("shutting down", {{"reason", why}, {"timeout_ms", timeout.count()}});
  shutdown_timer_ = std::make_unique<loop::Timer>(&loop_);
  shutdown_timer_->start(static_cast<uint64_t>(timeout.count()), 0, [this] {
    log_.error(
        "shutdown timed out; records not yet acknowledged will be read again at the next "
        "start");
    exit_now(1);
  });
  if (reloading_) return;  // the inputs are stopping already; finish_reload() stops for good
  stop_inputs();
}

void Engine::input_stopped() {
  if (inputs_running_ > 0) --inputs_running_;
  if (inputs_running_ > 0) return;
  // Every input has its acknowledgements, so everything read is in the buffer. The outputs
  // finish the write under way (with --once: deliver everything); the rest stays buffered
  // for the next start.
  drivers_running_ = drivers_.size();
  if (drivers_.empty()) {
    output_drained();
    return;
  }
  for (auto& d : drivers_)
    d->drain([this] { output_drained(); }, options_.once);
}

void Engine::output_drained() {
  if (drivers_running_ > 0) --drivers_running_;
  if (drivers_running_ > 0) return;
  if (reloading_) {
    // Not from here: this runs inside the last output's own callback, and finish_reload()
    // destroys that output (UBSan caught the old code calling into the freed driver after it
    // returned). The next turn of the loop does it.
    if (!reload_timer_) reload_timer_ = std::make_unique<loop::Timer>(&loop_);
    reload_timer_->start(0, 0, [this] { finish_reload(); });
    return;
  }
  log_.info("stopped cleanly");
  notify_->stop_watchdog();
  // Stopped inputs may still hold handles that keep the loop running (an HTTP client's idle
  // keep-alive connection): destroying them closes those.
  inputs_.clear();
  monitoring_server_.reset();  // its listening socket would keep the loop running
  signals_.clear();
  shutdown_timer_.reset();
  reload_timer_.reset();
}

void Engine::begin_reload() {
  if (stopping_ || reloading_) {
    log_.warn("SIGHUP ignored: a stop or a reload is under way");
    return;
  }
  log_.info("reloading the configuration", {{"config", config_->file.string()}});
  try {
    pending_ =
        std::make_unique<PipelineConfig>(load_config(config_->file, make_config_schema(plugins_)));
    validate(*pending_, plugins_);
  } catch (const std::exception& e) {
    // ConfigError's text names the file, the line and the key.
    log_.error("reload refused, the running pipeline is kept", {{"error", e.what()}});
    pending_.reset();
    return;
  }
  const std::string storage = config_->service.section("storage").string("path");
  if (pending_->service.section("storage").string("path") != storage) {
    log_.error(
        "reload refused, the running pipeline is kept: service.storage.path changed, "
        "which takes a restart (the buffer under the old path would not be delivered)",
        {{"path", storage}});
    pending_.reset();
    return;
  }
  reloading_ = true;
  notify_->reloading();
  stop_inputs();
}

void Engine::clear_health() {
  for (const InstanceConfig& oc : config_->outputs) {
    for (Health::Kind kind : {Health::Kind::kOutputFailing, Health::Kind::kOutputDisabled})
      health_->condition("output " + oc.name, kind).clear();
  }
  health_->condition("buffer", Health::Kind::kBufferFull).clear();
}

void Engine::tear_down() {
  inputs_.clear();
  sinks_.clear();
  input_records_.clear();
  pipeline_.reset();
  drivers_.clear();
  queue_.reset();
}

void Engine::finish_reload() {
  // Everything the inputs read is in the buffer and acknowledged, and no output has a request
  // under way: what is torn down here holds nothing that is not on disk.
  clear_health();
  tear_down();
  reloading_ = false;
  if (stopping_) {  // SIGTERM came during the reload
    output_drained();
    return;
  }
  std::unique_ptr<PipelineConfig> previous = std::move(owned_config_);
  owned_config_ = std::move(pending_);
  const PipelineConfig* before = config_;
  config_ = owned_config_.get();
  try {
    build();
    start_instances();
  } catch (const std::exception& e) {
    // The new configuration was valid, but building from it failed (a port in use, a file
    // that cannot be created): go back to the one that was running.
    log_.error("reload failed, going back to the previous configuration", {{"error", e.what()}});
    tear_down();
    owned_config_ = std::move(previous);
    config_ = owned_config_ ? owned_config_.get() : before;
    try {
      build();
      start_instances();
    } catch (const std::exception& again) {
      log_.error("cannot start the previous configuration again; exiting",
                 {{"error", again.what()}});
      exit_now(1);
    }
    notify_->ready();
    return;
  }
  notify_->ready();
  log_.info("reloaded", {{"inputs", inputs_.size()},
                         {"outputs", config_->outputs.size()},
                         {"config", config_->file.string()}});
}

void Engine::start_monitoring() {
  const Settings& settings = config_->service.section("http_server");
  if (!settings.has("listen")) return;
  const ListenAddress address = *parse_listen_address(settings.string("listen"));  // validated
  monitoring_ = std::make_unique<Monitoring>(
      *health_, metrics_, [this] { return queue_->stats(); },
      [this] {
        // The monitoring server runs on the loop thread, where Input::status() may be called.
        std::vector<Monitoring::InputReport> reports;
        reports.reserve(inputs_.size());
        for (size_t i = 0; i < inputs_.size(); ++i) {
          reports.push_back({config_->inputs[i].name, config_->inputs[i].type,
                             input_records_[i]->value(), inputs_[i]->status()});
        }
        return reports;
      });
  http::Server::Limits limits;
  limits.max_connections = 32;
  limits.max_body_bytes = 64 * 1024;  // only GETs are answered
  monitoring_server_ = std::make_unique<http::Server>(
      &loop_,
      [this](const http::Request& request, const http::Server::Respond& respond) {
        MonitoringAnswer answer = monitoring_->answer(request.method, request.path());
        http::Response response;
        response.status = answer.status;
        response.headers = std::move(answer.headers);
        response.body = std::move(answer.body);
        respond(std::move(response));
      },
      limits);
  const int port = monitoring_server_->listen(address.host, address.port);
  const bool v6 = address.host.find(':') != std::string::npos;
  const std::string where =
      (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(port);
  Logger("monitoring")
      .info("listening", {{"address", where}, {"health", "http://" + where + "/api/v1/health"}});
}

void Engine::input_idle() {
  if (inputs_busy_ > 0) --inputs_busy_;
  if (inputs_busy_ == 0 && !stopping_) begin_shutdown("--once: everything read is delivered");
}

}  // namespace auditrelay
