// Runs one pipeline on a libuv loop: builds inputs and outputs from the configuration, starts
// them, and shuts down gracefully on SIGINT/SIGTERM (or when --once has read everything). On
// SIGHUP it reads the configuration file again and, when it is valid, rebuilds the pipeline
// from it (see begin_reload()).
#pragma once

#include <memory>
#include <vector>

#include "agent/buffer/disk_queue.h"
#include "agent/config/config.h"
#include "agent/core/health.h"
#include "agent/core/monitoring.h"
#include "agent/core/output_runner.h"
#include "agent/core/pipeline.h"
#include "agent/core/plugin_registry.h"
#include "agent/core/service_notify.h"
#include "agent/http/server.h"

namespace auditrelay {

struct RunOptions {
  bool once = false;  // read what the inputs have now, deliver it, exit
};

class Engine {
 public:
  Engine(const PipelineConfig& config, const PluginRegistry& plugins, RunOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Checks what the loader cannot: data stream naming, each plugin's own validator. Throws
  // ConfigError. run() calls it too.
  static void validate(const PipelineConfig& config, const PluginRegistry& plugins);

  // Runs until shutdown. Returns the process exit code: 0 after a clean shutdown, 1 when
  // start-up failed. A shutdown that times out, or a second signal, exits the process (1). Throws
  // ConfigError for settings that are well-formed but unusable (reported like any config error).
  int run();

 private:
  void build();
  // Starts the inputs and the outputs built by build(); throws what an input's start() throws.
  void start_instances();
  // Stops every input; input_stopped() counts them back.
  void stop_inputs();
  void begin_shutdown(const char* why);
  // SIGHUP: loads and validates the configuration file again. An invalid one is logged and the
  // running pipeline kept. A valid one replaces it the way a restart would, without one: the
  // inputs stop (every record they read acknowledged, read positions saved), the outputs
  // finish the requests under way (cursors saved), then everything is built again from the new
  // configuration. Tail offsets, buffer cursors and output state live under the storage path by
  // instance name, so instances whose names are unchanged carry on where they were.
  void begin_reload();
  void finish_reload();
  // Destroys the pipeline's instances and closes the buffer (everything in it is on disk).
  void tear_down();
  // Clears the health conditions of the pipeline about to be torn down.
  void clear_health();
  void input_stopped();
  void output_drained();
  void input_idle();
  void start_monitoring();

  const PipelineConfig* config_;                  // the one running
  std::unique_ptr<PipelineConfig> owned_config_;  // config_ once a reload has replaced it
  std::unique_ptr<PipelineConfig> pending_;       // a reload's, until it replaces config_
  const PluginRegistry& plugins_;
  RunOptions options_;
  Logger log_{"engine"};

  uv_loop_t loop_{};
  MetricsRegistry metrics_;
  std::unique_ptr<Health> health_;
  std::unique_ptr<Monitoring> monitoring_;
  std::unique_ptr<http::Server> monitoring_server_;  // service.http_server, when listen is set
  std::unique_ptr<buffer::DiskQueue> queue_;
  std::vector<std::unique_ptr<OutputRunner>> drivers_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<std::unique_ptr<RecordSink>> sinks_;
  std::vector<std::unique_ptr<Input>> inputs_;
  std::vector<const Counter*> input_records_;  // auditrelay_input_records_total, as inputs_
  std::vector<std::unique_ptr<loop::Signal>> signals_;
  std::unique_ptr<loop::Timer> shutdown_timer_;
  std::unique_ptr<loop::Timer> reload_timer_;  // finishes a reload outside the outputs' callbacks
  std::unique_ptr<ServiceNotify> notify_;      // systemd (Type=notify), when it listens

  bool stopping_ = false;
  bool reloading_ = false;
  size_t inputs_running_ = 0;
  size_t inputs_busy_ = 0;  // --once: inputs that have not reported idle yet
  size_t drivers_running_ = 0;
};

}  // namespace auditrelay
