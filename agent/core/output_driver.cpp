#include "agent/core/output_driver.h"

#include <algorithm>
#include <memory>

#include "agent/core/local_backoff.h"

namespace auditrelay {

OutputDriver::OutputDriver(uv_loop_t* loop, std::string name, std::unique_ptr<Output> output,
                           buffer::DiskQueue& queue, MetricsRegistry& metrics, Health* health)
    : loop_(loop),
      name_(std::move(name)),
      output_(std::move(output)),
      queue_(queue),
      log_("output[" + name_ + "]"),
      retry_timer_(loop) {
  MetricLabels labels{{"output", name_}};
  written_ = &metrics.counter("auditrelay_output_documents_written_total",
                              "Documents an output has written", labels);
  write_errors_ = &metrics.counter("auditrelay_output_write_errors_total",
                                   "Failed writes of an output (each retried)", labels);
  if (health != nullptr) {
    failing_ = &health->condition("output " + name_, Health::Kind::kOutputFailing);
  }
}

void OutputDriver::start() {
  pump();
}

void OutputDriver::wake() {
  woken_ = true;
  pump();
}

void OutputDriver::drain(std::function<void()> done, bool until_caught_up) {
  on_drained_ = std::move(done);
  drain_all_ = until_caught_up;
  if (retry_pending_) {
    // Failing now: leave the rest in the queue rather than hold the shutdown.
    retry_timer_.stop();
    retry_pending_ = false;
  }
  if (busy_) return;  // finished() calls back
  if (drain_all_) {
    pump();
  } else {
    finish_drain();
  }
}

void OutputDriver::finish_drain() {
  drained_ = true;
  auto done = std::move(on_drained_);
  on_drained_ = nullptr;
  done();
}

void OutputDriver::pump() {
  if (busy_ || retry_pending_ || drained_) return;
  busy_ = true;
  woken_ = false;
  struct Step {
    bool progressed = false;
    std::string error;
    uint64_t documents = 0;
  };
  auto step = std::make_shared<Step>();
  loop::queue_work(
      loop_,
      [this, step] {
        uint64_t cursor = queue_.cursor(name_);
        std::optional<buffer::ReadFrame> frame = queue_.read(cursor);
        if (!frame) return;
        step->error = output_->write(frame->documents);
        if (!step->error.empty()) return;
        step->documents = frame->documents.size();
        step->error = queue_.commit(name_, frame->next_seq);
        step->progressed = true;
      },
      [this, step](const std::string& thrown) {
        written_->inc(step->documents);
        finished(step->progressed, thrown.empty() ? step->error : thrown);
      });
}

void OutputDriver::finished(bool progressed, const std::string& error) {
  busy_ = false;
  if (!error.empty()) {
    write_errors_->inc();
    if (failing_ != nullptr) failing_->set(error);
    if (on_drained_) {
      log_.warn("write failed while stopping; the rest stays buffered", {{"error", error}});
      finish_drain();
      return;
    }
    uint64_t delay_ms = next_local_backoff_ms(failures_);
    log_.warn("write failed; will retry", {{"error", error}, {"retry_in_ms", delay_ms}});
    retry_pending_ = true;
    retry_timer_.start(delay_ms, 0, [this] {
      retry_pending_ = false;
      pump();
    });
    return;
  }
  failures_ = 0;
  if (failing_ != nullptr) failing_->clear();
  if (on_drained_ && !drain_all_) {
    finish_drain();  // stopping: the rest is safe in the queue
    return;
  }
  if (progressed || woken_) {
    pump();
    return;
  }
  if (on_drained_) finish_drain();
}

}  // namespace auditrelay
