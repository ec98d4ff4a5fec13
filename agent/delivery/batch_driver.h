// Feeds one network output from the disk queue (ARCHITECTURE.md, "Delivery guarantees"):
// reads frames after the output's cursor into batches (batch.max_records / max_bytes /
// flush_interval), keeps up to `concurrency` batches in flight, resends only what the receiver
// asked to retry (after the RetryPolicy's delay), dead-letters what it rejected, and commits
// the cursor in order over batches that complete out of order (buffer::CursorTracker).
//
// A batch is a contiguous run of whole frames, sent as one or more requests one after another
// (a 413 splits a request in halves; retried items go out as a smaller request). It is done
// when each of its documents is delivered or durably dead-lettered; only then may the cursor
// pass it. Reading and encoding run on libuv's thread pool, sending on the loop thread.
// A batch whose request was answered but whose documents the receiver has yet to confirm
// (BatchOutput::send's `answered`) no longer counts against `concurrency`, but the cursor
// still waits for it.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/buffer/cursor_tracker.h"
#include "agent/buffer/disk_queue.h"
#include "agent/core/log.h"
#include "agent/core/output_runner.h"
#include "agent/delivery/batch_output.h"
#include "agent/delivery/batch_reading.h"
#include "agent/delivery/cursor_saver.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/failure_streak.h"
#include "agent/delivery/output_dead_letter.h"
#include "agent/delivery/response_metrics.h"
#include "agent/delivery/retry_policy.h"
#include "agent/loop/handle.h"
#include "agent/metrics/metrics.h"

namespace auditrelay::delivery {

class BatchDriver : public OutputRunner {
 public:
  using Now = std::function<Clock::time_point()>;

  // `random` (uniform in [0, 1)) and `now` are injectable for tests. With `health`, a failing
  // streak sets the condition "output <name>".
  BatchDriver(uv_loop_t* loop, std::string name, std::unique_ptr<BatchOutput> output,
              DeliveryOptions options, buffer::DiskQueue& queue, MetricsRegistry& metrics,
              std::function<double()> random = {}, Now now = {}, Health* health = nullptr);
  ~BatchDriver() override;
  BatchDriver(const BatchDriver&) = delete;
  BatchDriver& operator=(const BatchDriver&) = delete;

  void start() override;
  void wake() override;
  // On SIGTERM (not until_caught_up): waits for the requests in flight, commits what they
  // completed, and leaves batches waiting for a retry in the queue (they are sent again at
  // the next start; a receiver with ids, like Elasticsearch's create, sees no duplicate).
  // With until_caught_up (--once): delivers everything, retrying as long as it takes (the
  // engine's shutdown_timeout bounds it).
  void drain(std::function<void()> done, bool until_caught_up) override;

  const std::string& name() const { return name_; }

 private:
  struct Part {
    std::vector<uint32_t> items;  // indexes into the batch's documents
    std::shared_ptr<const std::string> body;
  };
  struct Batch;

  void pump();
  void read_into(std::unique_ptr<Batch> batch, bool flush_now);
  void dispatch(std::unique_ptr<Batch> batch);
  void send_next(Batch& batch);
  void encode_then_send(Batch& batch);
  // The front part of `batch` is encoded (into `body`, or failed with `error`): send it.
  void encoded(Batch& batch, std::shared_ptr<std::string> body, const std::string& error);
  void on_answered(uint64_t first_seq);
  void on_outcome(uint64_t first_seq, Outcome outcome);
  void reject(Batch& batch, uint32_t item, int status, std::string_view type,
              std::string_view reason, Clock::time_point now);
  void finish(Batch& batch);
  void completed(uint64_t first_seq);
  void commit(uint64_t next_seq);
  void maybe_finish_drain();
  void count_request(int delta);  // requests_ and its gauge
  bool idle() const;

  uv_loop_t* loop_;
  std::string name_;
  std::unique_ptr<BatchOutput> output_;
  DeliveryOptions options_;
  buffer::DiskQueue& queue_;
  RetryPolicy policy_;
  Now now_;
  Logger log_;
  FailureStreak streak_;
  OutputDeadLetterFile dead_letter_;
  buffer::CursorTracker tracker_;
  loop::Timer flush_timer_;

  std::map<uint64_t, std::unique_ptr<Batch>> in_flight_;  // by first_seq
  std::unique_ptr<Batch> next_;  // read ahead: filling, or ready and waiting for a slot
  bool next_ready_ = false;      // next_ is encoded and may be dispatched
  bool reading_ = false;         // a read job owns the batch being read
  FrameCarry carry_;             // what the last read left (read jobs only)
  bool caught_up_ = false;       // the last read reached the end of the queue
  bool flush_due_ = false;       // flush_interval passed: send next_ however full
  bool woken_ = false;           // records were appended while a read was under way
  unsigned jobs_ = 0;            // encode and dead-letter jobs on the thread pool
  uint64_t requests_ = 0;        // requests in flight, not yet answered
  size_t awaiting_ = 0;          // batches answered, waiting for the receiver's confirmation

  CursorSaver cursor_;

  bool stopping_ = false;  // drain without until_caught_up: nothing new is started
  bool drain_all_ = false;
  std::function<void()> on_drained_;

  Counter* delivered_;
  Counter* dead_lettered_;
  Counter* retried_;
  Counter* requests_ok_;
  Counter* requests_failed_;
  Gauge* in_flight_gauge_;
  Gauge* requests_gauge_;
  ResponseMetrics responses_;
};

}  // namespace auditrelay::delivery
