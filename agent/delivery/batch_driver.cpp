#include "agent/delivery/batch_driver.h"

#include <algorithm>
#include <random>

#include "agent/core/local_backoff.h"
#include "agent/delivery/batch_reading.h"
#include "agent/delivery/failure_streak.h"

namespace auditrelay::delivery {

struct BatchDriver::Batch {
  uint64_t first_seq = 0;
  uint64_t next_seq = 0;
  DocumentBatch docs;
  std::deque<Part> parts;          // still to send, front first
  std::vector<uint32_t> attempts;  // per document
  unsigned failures = 0;           // consecutive failed attempts of this batch
  unsigned local_failures = 0;     // of its dead-letter write
  bool attempted = false;
  bool awaiting = false;  // its request was answered; the receiver's confirmation is awaited
  Clock::time_point first_attempt{};
  Clock::time_point sent_at{};                   // of the request in flight
  std::optional<Clock::time_point> answered_at;  // when its receiver confirms later
  std::string dead_letters;                      // NDJSON entries to write before the batch is done
  uint64_t dead_count = 0;
  std::string dead_reason;  // the first, for the log line
  std::unique_ptr<loop::Timer> retry_timer;
};

namespace {

// Requests whose documents hold at most this many bytes are encoded on the loop thread.
constexpr uint64_t kInlineEncodeBytes = 16 * 1024;

std::function<double()> default_random() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace

BatchDriver::BatchDriver(uv_loop_t* loop, std::string name, std::unique_ptr<BatchOutput> output,
                         DeliveryOptions options, buffer::DiskQueue& queue,
                         MetricsRegistry& metrics, std::function<double()> random, Now now,
                         Health* health)
    : loop_(loop),
      name_(std::move(name)),
      output_(std::move(output)),
      options_(std::move(options)),
      queue_(queue),
      policy_(options_.retry, random ? std::move(random) : default_random()),
      now_(now ? std::move(now) : Now([] { return Clock::now(); })),
      log_("output[" + name_ + "]"),
      streak_(log_, health != nullptr
                        ? &health->condition("output " + name_, Health::Kind::kOutputFailing)
                        : nullptr),
      dead_letter_(options_.dead_letter),
      tracker_(queue.cursor(name_)),
      flush_timer_(loop),
      cursor_(loop, name_, queue, log_, [this] { maybe_finish_drain(); }),
      responses_(metrics, name_) {
  MetricLabels labels{{"output", name_}};
  delivered_ = &metrics.counter("auditrelay_output_documents_delivered_total",
                                "Documents the receiver accepted (or already had)", labels);
  dead_lettered_ = &metrics.counter("auditrelay_output_documents_dead_lettered_total",
                                    "Documents rejected for good, written to the output's "
                                    "dead-letter file",
                                    labels);
  retried_ = &metrics.counter("auditrelay_output_documents_retried_total",
                              "Documents sent again after a passing failure", labels);
  requests_ok_ = &metrics.counter("auditrelay_output_requests_succeeded_total",
                                  "Requests with nothing left to retry", labels);
  requests_failed_ = &metrics.counter("auditrelay_output_requests_failed_total",
                                      "Requests failed in whole or in part (retried)", labels);
  in_flight_gauge_ = &metrics.gauge("auditrelay_output_batches_in_flight",
                                    "Batches read from the buffer and not yet done", labels);
  requests_gauge_ = &metrics.gauge("auditrelay_output_requests_in_flight",
                                   "Requests sent and not yet answered", labels);
}

void BatchDriver::count_request(int delta) {
  requests_ = static_cast<uint64_t>(static_cast<int64_t>(requests_) + delta);
  requests_gauge_->set(static_cast<int64_t>(requests_));
}

BatchDriver::~BatchDriver() {
  // The output owns the HTTP client: destroying it first means no response can arrive for a
  // batch destroyed below.
  output_.reset();
}

void BatchDriver::start() {
  pump();
}

void BatchDriver::wake() {
  caught_up_ = false;
  if (reading_) woken_ = true;
  pump();
}

void BatchDriver::pump() {
  if (stopping_ || reading_) return;
  if (next_ && next_ready_) {
    if (in_flight_.size() - awaiting_ >= options_.concurrency ||
        awaiting_ >= output_->max_awaiting())
      return;
    next_ready_ = false;
    dispatch(std::move(next_));
    if (stopping_ || reading_) return;  // dispatch may complete at once and pump again
  }
  // Read ahead while requests are in flight: at most one batch beyond `concurrency`.
  const bool flush_now =
      flush_due_ || drain_all_ || options_.flush_interval.count() == 0 || in_flight_.empty();
  if (next_) {
    if (caught_up_ && !flush_now) return;  // wait for more records or the flush timer
    read_into(std::move(next_), flush_now);
    return;
  }
  if (caught_up_) return;
  auto batch = std::make_unique<Batch>();
  batch->first_seq = batch->next_seq = tracker_.read_to();
  read_into(std::move(batch), flush_now);
}

void BatchDriver::read_into(std::unique_ptr<Batch> batch, bool flush_now) {
  reading_ = true;
  woken_ = false;
  struct Job {
    std::unique_ptr<Batch> batch;
    bool hit_end = false;
    bool ready = false;
  };
  auto job = std::make_shared<Job>();
  job->batch = std::move(batch);
  loop::queue_work(
      loop_,
      [this, job, flush_now] {
        Batch& b = *job->batch;
        const BatchLimits limits{options_.max_records, options_.max_bytes};
        job->hit_end = fill_from_queue(queue_, b.next_seq, b.docs, limits, carry_);
        if (b.docs.empty() || (has_room(b.docs, limits) && !flush_now)) return;
        // Ready: split into requests here, off the loop thread, and encode the first; the
        // others are encoded when their turn comes, so a large batch does not hold every body.
        b.attempts.assign(b.docs.size(), 0);
        for (auto& items : split_into_requests(b.docs, *output_, limits))
          b.parts.push_back(Part{std::move(items), nullptr});
        if (!b.parts.empty()) {
          Part& first = b.parts.front();
          first.body = std::make_shared<const std::string>(output_->encode(b.docs, first.items));
        }
        job->ready = true;
      },
      [this, job](const std::string& error) {
        reading_ = false;
        if (!error.empty()) {
          // The queue only throws for a broken disk; try again shortly.
          log_.error("reading the buffer failed; will retry", {{"error", error}});
          job->hit_end = true;
          job->ready = false;
          job->batch->parts.clear();
          if (!flush_timer_.active())
            flush_timer_.start(1000, 0, [this] {
              caught_up_ = false;
              pump();
            });
        }
        if (job->hit_end && !woken_) caught_up_ = true;
        woken_ = false;
        if (!stopping_ && !job->batch->docs.empty()) {
          next_ = std::move(job->batch);
          next_ready_ = job->ready;
          if (!next_ready_ && !flush_timer_.active()) {
            flush_timer_.start(static_cast<uint64_t>(options_.flush_interval.count()), 0, [this] {
              flush_due_ = true;
              pump();
            });
          }
        }
        pump();
        maybe_finish_drain();
      });
}

void BatchDriver::dispatch(std::unique_ptr<Batch> batch) {
  flush_timer_.stop();
  flush_due_ = false;
  tracker_.started(batch->first_seq, batch->next_seq);
  Batch& b = *batch;
  in_flight_[b.first_seq] = std::move(batch);
  in_flight_gauge_->set(static_cast<int64_t>(in_flight_.size()));
  send_next(b);
}

void BatchDriver::send_next(Batch& b) {
  if (b.parts.empty()) {
    finish(b);
    return;
  }
  if (stopping_) return;  // stays in the queue for the next start
  Part& part = b.parts.front();
  if (!part.body) {
    encode_then_send(b);
    return;
  }
  if (!b.attempted) {
    b.attempted = true;
    b.first_attempt = now_();
  }
  b.sent_at = now_();
  b.answered_at.reset();
  count_request(+1);
  output_->send(
      part.body, part.items.size(),
      [this, first = b.first_seq](Outcome o) { on_outcome(first, std::move(o)); },
      [this, first = b.first_seq] { on_answered(first); });
}

void BatchDriver::on_answered(uint64_t first_seq) {
  count_request(-1);
  auto it = in_flight_.find(first_seq);
  if (it != in_flight_.end() && !it->second->awaiting) {
    Batch& b = *it->second;
    b.awaiting = true;
    b.answered_at = now_();
    ++awaiting_;
    // The body is sent: free it while the confirmation is awaited (encoded again if needed).
    if (!b.parts.empty()) b.parts.front().body.reset();
  }
  pump();
  maybe_finish_drain();
}

void BatchDriver::encode_then_send(Batch& b) {
  Part& part = b.parts.front();
  uint64_t bytes = 0;
  for (uint32_t i : part.items)
    bytes += b.docs[i].json.size();
  if (bytes <= kInlineEncodeBytes) {
    // A small request (a webhook's one event) is encoded here: a trip to a worker thread and
    // back costs more than the encoding, in wake-ups and system calls.
    auto body = std::make_shared<std::string>();
    std::string error;
    try {
      *body = output_->encode(b.docs, part.items);
    } catch (const std::exception& e) {
      error = e.what();
    }
    encoded(b, std::move(body), error);
    return;
  }
  ++jobs_;
  auto body = std::make_shared<std::string>();
  loop::queue_work(
      loop_, [this, &b, &part, body] { *body = output_->encode(b.docs, part.items); },
      [this, first = b.first_seq, body](const std::string& error) {
        --jobs_;
        auto it = in_flight_.find(first);
        if (it == in_flight_.end()) return;
        encoded(*it->second, body, error);
      });
}

void BatchDriver::encoded(Batch& batch, std::shared_ptr<std::string> body,
                          const std::string& error) {
  if (!error.empty()) {
    // Our own documents failed to encode: a bug, but one batch must not stop the rest.
    Clock::time_point now = now_();
    for (uint32_t i : batch.parts.front().items)
      reject(batch, i, 0, "encoding_failed", error, now);
    batch.parts.pop_front();
  } else {
    batch.parts.front().body = std::move(body);
  }
  send_next(batch);
  maybe_finish_drain();
}

void BatchDriver::on_outcome(uint64_t first_seq, Outcome o) {
  auto it = in_flight_.find(first_seq);
  if (it == in_flight_.end()) {
    count_request(-1);
    return;
  }
  Batch& b = *it->second;
  if (b.awaiting) {
    b.awaiting = false;  // its request stopped counting when it was answered
    --awaiting_;
  } else {
    count_request(-1);
  }
  Part part = std::move(b.parts.front());
  b.parts.pop_front();
  const Clock::time_point now = now_();
  // A receiver that confirms later answered at answered_at; its status comes with `done`.
  responses_.count(o.status, b.answered_at.value_or(now) - b.sent_at);
  for (uint32_t i : part.items)
    ++b.attempts[i];

  if (o.too_large) {
    requests_failed_->inc();
    if (part.items.size() == 1) {
      reject(b, part.items[0], o.status, "request_too_large",
             "the document alone is larger than the receiver accepts (HTTP 413)", now);
    } else {
      // Halves, sent one after the other; each is encoded again.
      auto middle = part.items.begin() + static_cast<std::ptrdiff_t>(part.items.size() / 2);
      b.parts.push_front(Part{{middle, part.items.end()}, nullptr});
      b.parts.push_front(Part{{part.items.begin(), middle}, nullptr});
    }
    send_next(b);
    maybe_finish_drain();
    return;
  }

  std::vector<uint32_t> retry;
  if (o.items.size() == part.items.size()) {
    for (size_t k = 0; k < part.items.size(); ++k) {
      const ItemOutcome& item = o.items[k];
      if (item.verdict == Verdict::kDelivered) {
        delivered_->inc();
      } else if (item.verdict == Verdict::kRejected) {
        reject(b, part.items[k], item.status, item.error_type, item.reason, now);
      } else {
        retry.push_back(part.items[k]);
      }
    }
  } else {
    Verdict verdict = o.verdict;
    if (!o.items.empty()) {
      // Not one answer per item sent: trust none of them and send the request again (ids
      // make a second delivery harmless).
      verdict = Verdict::kRetry;
      o.reason = "the response has " + std::to_string(o.items.size()) + " items for " +
                 std::to_string(part.items.size()) + " sent";
    }
    if (verdict == Verdict::kDelivered) {
      delivered_->inc(part.items.size());
    } else if (verdict == Verdict::kRejected) {
      for (uint32_t i : part.items)
        reject(b, i, o.status, o.error_type, o.reason, now);
    } else {
      retry = part.items;
    }
  }

  if (retry.empty()) {
    requests_ok_->inc();
    streak_.succeeded();
    b.failures = 0;
    send_next(b);
    maybe_finish_drain();
    return;
  }
  requests_failed_->inc();
  streak_.failed(o);
  retried_->inc(retry.size());
  if (policy_.exhausted(b.first_attempt, now)) {
    const ItemOutcome* item = first_retried(o);
    std::string reason =
        "gave up after retry.max_duration; last error: " +
        (item != nullptr ? item->error_type + " " + item->reason : o.error_type + " " + o.reason);
    for (uint32_t i : retry)
      reject(b, i, item != nullptr ? item->status : o.status, "retry_exhausted", reason, now);
    send_next(b);
    maybe_finish_drain();
    return;
  }
  ++b.failures;
  Milliseconds delay = policy_.delay(b.failures, parse_retry_after(o.retry_after, now));
  // The same items again can reuse the body; a subset is encoded anew.
  std::shared_ptr<const std::string> body = retry == part.items ? part.body : nullptr;
  b.parts.push_front(Part{std::move(retry), std::move(body)});
  if (!b.retry_timer) b.retry_timer = std::make_unique<loop::Timer>(loop_);
  log_.debug("retrying", {{"delay_ms", delay.count()}, {"failures", b.failures}});
  streak_.retrying_at(now + delay);
  // At least 1 ms: libuv (before 1.45) runs a 0 ms timer started from a timer callback in the
  // same pass, which could spin without ever polling for I/O.
  const auto delay_ms = std::max<uint64_t>(1, static_cast<uint64_t>(delay.count()));
  b.retry_timer->start(delay_ms, 0, [this, first = b.first_seq] {
    auto found = in_flight_.find(first);
    if (found != in_flight_.end()) send_next(*found->second);
  });
  maybe_finish_drain();
}

void BatchDriver::reject(Batch& b, uint32_t item, int status, std::string_view type,
                         std::string_view reason, Clock::time_point now) {
  DocumentView document = b.docs[item];
  append_output_dead_letter(DeadLetterItem{.output = name_,
                                           .document = document,
                                           .status = status,
                                           .error_type = type,
                                           .reason = reason,
                                           .attempts = b.attempts[item],
                                           .first_attempt = b.first_attempt,
                                           .last_attempt = now},
                            b.dead_letters);
  if (b.dead_count++ == 0) b.dead_reason = std::string(type) + ": " + std::string(reason);
}

void BatchDriver::finish(Batch& b) {
  if (b.dead_letters.empty()) {
    completed(b.first_seq);
    return;
  }
  ++jobs_;
  auto error = std::make_shared<std::string>();
  loop::queue_work(
      loop_, [this, &b, error] { *error = dead_letter_.write(b.dead_letters); },
      [this, first = b.first_seq, error](const std::string& thrown) {
        --jobs_;
        auto it = in_flight_.find(first);
        if (it == in_flight_.end()) return;
        Batch& batch = *it->second;
        std::string failure = thrown.empty() ? *error : thrown;
        if (!failure.empty()) {
          uint64_t delay_ms = next_local_backoff_ms(batch.local_failures);
          log_.error("cannot write the dead-letter file; the batch waits",
                     {{"path", dead_letter_.path().string()},
                      {"error", failure},
                      {"retry_in_ms", delay_ms}});
          if (!batch.retry_timer) batch.retry_timer = std::make_unique<loop::Timer>(loop_);
          batch.retry_timer->start(delay_ms, 0, [this, first] {
            auto found = in_flight_.find(first);
            if (found != in_flight_.end() && !stopping_) finish(*found->second);
          });
          maybe_finish_drain();
          return;
        }
        dead_lettered_->inc(batch.dead_count);
        log_.warn("documents rejected by the receiver were dead-lettered",
                  {{"documents", batch.dead_count},
                   {"first_reason", batch.dead_reason},
                   {"path", dead_letter_.path().string()}});
        batch.dead_letters.clear();
        completed(first);
      });
}

void BatchDriver::completed(uint64_t first_seq) {
  in_flight_.erase(first_seq);
  in_flight_gauge_->set(static_cast<int64_t>(in_flight_.size()));
  if (std::optional<uint64_t> cursor = tracker_.completed(first_seq)) commit(*cursor);
  pump();
  maybe_finish_drain();
}

void BatchDriver::commit(uint64_t next_seq) {
  // The last saves of a drain go at once; the others wait for the saver's interval.
  const bool finishing = on_drained_ && (stopping_ || (in_flight_.empty() && !next_ && caught_up_));
  cursor_.save(next_seq, finishing);
}

void BatchDriver::drain(std::function<void()> done, bool until_caught_up) {
  on_drained_ = std::move(done);
  drain_all_ = until_caught_up;
  cursor_.hurry();
  if (!drain_all_) {
    stopping_ = true;
    flush_timer_.stop();
    if (!reading_) next_.reset();
  } else {
    flush_due_ = true;
    pump();
  }
  maybe_finish_drain();
}

bool BatchDriver::idle() const {
  // A drain waits for the cursor's last save: the next instance (a reload's, the next start's)
  // reads it and must not send again what was delivered. After a failed save it does not wait
  // for the retry when stopping: the receiver's ids make a resend harmless.
  return !reading_ && jobs_ == 0 && requests_ == 0 && !cursor_.saving() &&
         (cursor_.saved() || (stopping_ && cursor_.failing()));
}

void BatchDriver::maybe_finish_drain() {
  if (!on_drained_ || !idle()) return;
  if (!stopping_ && !(in_flight_.empty() && !next_ && caught_up_)) return;
  // Nothing may keep the loop alive now: timers stop, the output closes its connections.
  stopping_ = true;
  flush_timer_.stop();
  cursor_.stop();
  for (auto& [first, batch] : in_flight_) {
    if (batch->retry_timer) batch->retry_timer->stop();
  }
  output_.reset();
  auto done = std::move(on_drained_);
  on_drained_ = nullptr;
  done();
}

}  // namespace auditrelay::delivery
