// The middle of the agent: takes raw batches from inputs, normalizes them off the loop thread,
// dead-letters rejected records, hands documents to every output, and acknowledges each batch
// to its input, in order, once all of that is durable.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/durable_io.h"
#include "agent/core/log.h"
#include "agent/core/plugin.h"
#include "agent/loop/handle.h"
#include "agent/normalize/normalizer.h"

namespace auditrelay {

struct PipelineOutput {
  std::string name;
  std::unique_ptr<Output> output;
};

class Pipeline {
 public:
  Pipeline(uv_loop_t* loop, NormalizeOptions options, std::vector<PipelineOutput> outputs,
           std::filesystem::path dead_letter_path, MetricsRegistry& metrics);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // The sink an input submits to; its records are normalized with `schema`.
  std::unique_ptr<RecordSink> sink_for(std::string input_name, Schema schema);

  // True when no batch is queued or being processed.
  bool idle() const { return queue_.empty(); }

 private:
  struct Job;
  class InputSink;

  void enqueue(std::unique_ptr<Job> job);
  void start_next();
  void process(Job& job);  // worker thread
  void finished(const std::string& error);

  uv_loop_t* loop_;
  Normalizer normalizer_;  // used by one worker job at a time
  std::vector<PipelineOutput> outputs_;
  AppendFile dead_letters_;
  MetricsRegistry& metrics_;
  Logger log_{"pipeline"};

  std::deque<std::unique_ptr<Job>> queue_;  // front() is the one in progress when busy_
  bool busy_ = false;
  loop::Timer retry_timer_;
  unsigned consecutive_failures_ = 0;

  std::array<Counter*, kRejectReasonCount> rejected_{};
  std::vector<Counter*> written_;  // per output
  Counter* write_errors_ = nullptr;
};

}  // namespace auditrelay
