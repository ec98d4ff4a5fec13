// Feeds one output from the disk queue: reads the frames after the output's cursor, hands them
// to the output, and commits the cursor once a frame is written. Reads, writes and commits run
// on libuv's thread pool, one frame at a time; a failed write is retried with backoff and the
// cursor does not move meanwhile, so the records stay in the queue until delivered.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agent/buffer/disk_queue.h"
#include "agent/core/log.h"
#include "agent/core/output_runner.h"
#include "agent/core/plugin.h"
#include "agent/loop/handle.h"

namespace auditrelay {

class OutputDriver : public OutputRunner {
 public:
  // With `health`, failing writes set the condition "output <name>".
  OutputDriver(uv_loop_t* loop, std::string name, std::unique_ptr<Output> output,
               buffer::DiskQueue& queue, MetricsRegistry& metrics, Health* health = nullptr);
  OutputDriver(const OutputDriver&) = delete;
  OutputDriver& operator=(const OutputDriver&) = delete;

  void start() override;
  void wake() override;
  // A failing write ends a drain at once.
  void drain(std::function<void()> done, bool until_caught_up) override;

  const std::string& name() const { return name_; }

 private:
  void pump();
  void finished(bool progressed, const std::string& error);
  void finish_drain();

  uv_loop_t* loop_;
  std::string name_;
  std::unique_ptr<Output> output_;
  buffer::DiskQueue& queue_;
  Logger log_;
  loop::Timer retry_timer_;

  bool busy_ = false;
  bool woken_ = false;  // an append arrived while busy: look again
  bool retry_pending_ = false;
  bool drained_ = false;
  bool drain_all_ = false;
  unsigned failures_ = 0;
  std::function<void()> on_drained_;

  Counter* written_;
  Counter* write_errors_;
  Health::Condition* failing_ = nullptr;
};

}  // namespace auditrelay
