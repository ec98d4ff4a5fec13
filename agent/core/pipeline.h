// The middle of the agent: takes raw batches from inputs, normalizes them off the loop thread,
// dead-letters rejected records, appends the documents to the disk queue, and acknowledges each
// batch to its input, in order, once it is durable there (group commit: one fsync covers every
// batch appended since the last one, at most one per sync_interval).
#pragma once

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "agent/buffer/disk_queue.h"
#include "agent/core/durable_io.h"
#include "agent/core/log.h"
#include "agent/core/plugin.h"
#include "agent/loop/handle.h"
#include "agent/normalize/normalizer.h"

namespace auditrelay {

struct PipelineOptions {
  NormalizeOptions normalize;
  std::filesystem::path dead_letter_path;
  buffer::SyncMode sync = buffer::SyncMode::kBatch;
  std::chrono::milliseconds sync_interval{10};
  buffer::WhenFull when_full = buffer::WhenFull::kBlock;
  Health* health = nullptr;  // given: the condition "buffer" is set while inputs wait for room
};

class Pipeline {
 public:
  // How many values normalize::decision_category() has: blocked, rewritten, warned, allowed,
  // other (the decision label of auditrelay_policy_decisions_total).
  static constexpr size_t kDecisionCategories = 5;
  // `appended` is called on the loop thread after documents were appended (outputs may read).
  Pipeline(uv_loop_t* loop, PipelineOptions options, buffer::DiskQueue& queue,
           MetricsRegistry& metrics, std::function<void()> appended);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // The sink an input submits to; its records are normalized with `schema`.
  std::unique_ptr<RecordSink> sink_for(std::string input_name, Schema schema);

  // True when no batch is queued, being processed or waiting for its fsync.
  bool idle() const { return queue_.empty() && awaiting_sync_.empty(); }

 private:
  struct Job;
  class InputSink;

  void enqueue(std::unique_ptr<Job> job);
  void start_next();
  // Normalization of the batches behind the one being stored runs on a second worker
  // (normalize_ahead), so normalizing and compressing overlap; storing stays in order.
  void normalize_ahead();
  void normalize(Job& job, Normalizer& normalizer);  // worker thread
  void process(Job& job);                            // worker thread
  void processed(const std::string& error);
  void acknowledge(std::unique_ptr<Job> job);
  void schedule_sync();
  void start_sync();
  void retry_later(const char* why, const std::string& error);
  void refuse_waiting_jobs();

  uv_loop_t* loop_;
  PipelineOptions options_;
  Normalizer normalizer_;        // used by process(), one worker job at a time
  Normalizer ahead_normalizer_;  // used by normalize_ahead(), one worker job at a time
  bool normalizing_ahead_ = false;
  buffer::DiskQueue& disk_;
  MetricsRegistry& metrics_;
  AppendFile dead_letters_;
  std::function<void()> appended_;
  Logger log_{"pipeline"};

  std::deque<std::unique_ptr<Job>> queue_;  // front() is the one in progress when busy_
  bool busy_ = false;
  loop::Timer retry_timer_;
  unsigned consecutive_failures_ = 0;
  bool paused_for_space_ = false;
  Health::Condition* full_health_ = nullptr;

  // Group commit: appended batches wait here for the next fsync.
  std::deque<std::unique_ptr<Job>> awaiting_sync_;
  bool syncing_ = false;
  loop::Timer sync_timer_;
  uint64_t last_sync_ms_ = 0;

  std::array<Counter*, kRejectReasonCount> rejected_{};
  std::array<Counter*, kDecisionCategories> decisions_{};
  Counter* appended_records_;
  Counter* write_errors_;
  Counter* full_waits_;
  Counter* dropped_;
  uint64_t dropped_seen_ = 0;  // the queue's drop count at the last look
};

}  // namespace auditrelay
