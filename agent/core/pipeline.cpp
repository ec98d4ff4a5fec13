#include "agent/core/pipeline.h"

#include <algorithm>
#include <vector>

#include "agent/core/dead_letter.h"
#include "agent/core/local_backoff.h"
#include "agent/core/normalize_record.h"
#include "agent/core/timestamp.h"

namespace auditrelay {

// One submitted batch on its way through the pipeline. Each step happens once: a retry (after
// a disk error, or while the queue is full) resumes where the batch stopped.
struct Pipeline::Job {
  std::string input;
  Schema schema;
  RawBatch batch;
  std::function<void(SubmitResult)> done;
  bool refuse_when_full = false;    // SubmitOptions::refuse_when_full
  bool collect_rejections = false;  // submit_all(): `done` wants the rejected records
  std::vector<std::pair<uint32_t, std::string>> rejections;

  bool normalized = false;
  bool normalizing_ahead = false;  // a worker is normalizing it while an earlier job is stored
  DocumentBatch documents;
  std::string dead_letter_lines;
  std::array<uint64_t, kRejectReasonCount> rejected_by_reason{};
  std::array<uint64_t, kDecisionCategories> decisions{};  // by category, as kDecisionNames
  Counter* records_in = nullptr;  // the input's auditrelay_input_records_total
  bool dead_letters_written = false;
  bool appended = false;
  bool full = false;           // the last append attempt found no room
  uint64_t dropped_total = 0;  // drop_oldest: the queue's drop count after this append
};

namespace {

// The decision categories counted in auditrelay_policy_decisions_total, in their index order.
constexpr std::array<std::string_view, Pipeline::kDecisionCategories> kDecisionNames = {
    "blocked", "rewritten", "warned", "allowed", "other"};

size_t decision_index(std::string_view category) {
  for (size_t i = 0; i < kDecisionNames.size(); ++i) {
    if (kDecisionNames[i] == category) return i;
  }
  return kDecisionNames.size() - 1;
}

}  // namespace

class Pipeline::InputSink : public RecordSink {
 public:
  InputSink(Pipeline& pipeline, std::string input, Schema schema, Counter* records_in)
      : pipeline_(pipeline), input_(std::move(input)), schema_(schema), records_in_(records_in) {}

  void submit(RawBatch batch, std::function<void()> done) override {
    auto job = std::make_unique<Job>();
    job->input = input_;
    job->schema = schema_;
    job->batch = std::move(batch);
    job->records_in = records_in_;
    job->done = [done = std::move(done)](const SubmitResult&) { done(); };
    pipeline_.enqueue(std::move(job));
  }

  void submit_all(RawBatch batch, SubmitOptions options,
                  std::function<void(SubmitResult)> done) override {
    auto job = std::make_unique<Job>();
    job->input = input_;
    job->schema = schema_;
    job->batch = std::move(batch);
    job->records_in = records_in_;
    job->done = std::move(done);
    job->refuse_when_full = options.refuse_when_full;
    job->collect_rejections = true;
    pipeline_.enqueue(std::move(job));
  }

 private:
  Pipeline& pipeline_;
  std::string input_;
  Schema schema_;
  Counter* records_in_;
};

Pipeline::Pipeline(uv_loop_t* loop, PipelineOptions options, buffer::DiskQueue& queue,
                   MetricsRegistry& metrics, std::function<void()> appended)
    : loop_(loop),
      options_(std::move(options)),
      normalizer_(options_.normalize),
      ahead_normalizer_(options_.normalize),
      disk_(queue),
      metrics_(metrics),
      dead_letters_(options_.dead_letter_path),
      appended_(std::move(appended)),
      retry_timer_(loop),
      sync_timer_(loop) {
  if (options_.health != nullptr) {
    full_health_ = &options_.health->condition("buffer", Health::Kind::kBufferFull);
  }
  for (int i = 0; i < kRejectReasonCount; ++i) {
    rejected_[static_cast<size_t>(i)] = &metrics.counter(
        "auditrelay_records_rejected_total", "Records rejected by the normalizer, by reason",
        {{"reason", std::string(to_string(static_cast<RejectReason>(i)))}});
  }
  for (size_t i = 0; i < kDecisionNames.size(); ++i) {
    decisions_[i] = &metrics.counter(
        "auditrelay_policy_decisions_total",
        "Documents appended, by the gateway's decision (blocked, rewritten, warned, allowed, "
        "other) and dataset",
        {{"decision", std::string(kDecisionNames[i])}, {"dataset", options_.normalize.dataset}});
  }
  appended_records_ = &metrics.counter("auditrelay_buffer_appended_records_total",
                                       "Documents appended to the disk buffer");
  write_errors_ = &metrics.counter("auditrelay_pipeline_write_errors_total",
                                   "Batches whose dead-letter or buffer write failed (retried)");
  dropped_ = &metrics.counter("auditrelay_buffer_dropped_records_total",
                              "Undelivered records dropped to make room (when_full: drop_oldest)");
  full_waits_ = &metrics.counter("auditrelay_buffer_full_waits_total",
                                 "Times a batch waited because the buffer was full");
}

Pipeline::~Pipeline() = default;

std::unique_ptr<RecordSink> Pipeline::sink_for(std::string input_name, Schema schema) {
  Counter* records_in = &metrics_.counter(
      "auditrelay_input_records_total",
      "Records an input handed to the pipeline (accepted or rejected)", {{"input", input_name}});
  return std::make_unique<InputSink>(*this, std::move(input_name), schema, records_in);
}

void Pipeline::enqueue(std::unique_ptr<Job> job) {
  queue_.push_back(std::move(job));
  if (!busy_) start_next();
  normalize_ahead();
}

void Pipeline::normalize_ahead() {
  if (normalizing_ahead_) return;
  // Never the front job: process() may be working on it.
  for (size_t i = 1; i < queue_.size(); ++i) {
    Job* job = queue_[i].get();
    if (job->normalized) continue;
    normalizing_ahead_ = true;
    job->normalizing_ahead = true;
    loop::queue_work(
        loop_, [this, job] { normalize(*job, ahead_normalizer_); },
        [this, job](const std::string& error) {
          // A failure here is not final: process() normalizes the job again itself.
          if (!error.empty()) log_.debug("normalizing ahead failed", {{"error", error}});
          job->normalizing_ahead = false;
          normalizing_ahead_ = false;
          start_next();
          normalize_ahead();
        });
    return;
  }
}

void Pipeline::start_next() {
  if (busy_ || queue_.empty() || retry_timer_.active()) return;
  if (queue_.front()->normalizing_ahead) return;  // normalize_ahead() calls back
  busy_ = true;
  Job* job = queue_.front().get();
  loop::queue_work(
      loop_, [this, job] { process(*job); },
      [this](const std::string& error) { processed(error); });
}

void Pipeline::normalize(Job& job, Normalizer& normalizer) {
  // Start clean: an earlier attempt may have stopped half-way (it threw).
  job.documents.clear();
  job.dead_letter_lines.clear();
  job.rejected_by_reason.fill(0);
  job.decisions.fill(0);
  job.rejections.clear();
  std::string now = utc_timestamp_now();
  // Documents come out two to three times the size of the raw records (ECS names, ids,
  // targets): reserve once rather than grow (and copy) a large buffer several times.
  size_t raw_bytes = 0;
  for (const RawRecord& r : job.batch.records())
    raw_bytes += r.size;
  job.documents.reserve(raw_bytes * 5 / 2 + job.batch.records().size() * 160,
                        job.batch.records().size());
  for (uint32_t index = 0; index < job.batch.records().size(); ++index) {
    const RawRecord& r = job.batch.records()[index];
    const RecordSource& source = job.batch.source(r);
    std::string_view bytes = job.batch.bytes(r);
    normalize::EventType type;
    std::optional<Rejection> rejection =
        normalize_record(normalizer, job.batch, r, job.schema, job.documents, &type);
    if (!rejection) job.decisions[decision_index(normalize::decision_category(type))]++;
    if (rejection) {
      job.rejected_by_reason[static_cast<size_t>(rejection->reason)]++;
      if (job.collect_rejections) {
        job.rejections.emplace_back(
            index, std::string(to_string(rejection->reason)) + ": " + rejection->message);
      }
      append_dead_letter_entry({job.input, source, r, bytes, *rejection}, now,
                               job.dead_letter_lines);
    }
  }
  job.normalized = true;
}

void Pipeline::process(Job& job) {
  if (!job.normalized) normalize(job, normalizer_);
  auto write_dead_letters = [&] {
    if (!job.dead_letters_written && !job.dead_letter_lines.empty()) {
      if (std::string err = dead_letters_.append(job.dead_letter_lines, true); !err.empty()) {
        throw std::runtime_error("dead-letter file: " + err);
      }
    }
    job.dead_letters_written = true;
  };
  // A batch that may be refused (full buffer) writes its dead letters only once its documents
  // are in: a refused one is sent again by its client, and must not be dead-lettered twice.
  if (!job.refuse_when_full) write_dead_letters();
  job.full = false;
  if (!job.appended && !job.documents.empty()) {
    if (disk_.append(job.documents) == buffer::AppendResult::kFull) {
      job.full = true;
      return;
    }
    if (options_.when_full == buffer::WhenFull::kDropOldest) {
      job.dropped_total = disk_.dropped_records();
    }
  }
  job.appended = true;
  write_dead_letters();
}

void Pipeline::retry_later(const char* why, const std::string& error) {
  // The world failed us (disk full, I/O error): keep the batch and try again, backing off up
  // to 30 s. The input is not acknowledged meanwhile, so nothing is lost.
  write_errors_->inc();
  uint64_t delay_ms = next_local_backoff_ms(consecutive_failures_);
  log_.warn(why, {{"error", error}, {"retry_in_ms", delay_ms}});
  retry_timer_.start(delay_ms, 0, [this] { start_next(); });
}

void Pipeline::processed(const std::string& error) {
  busy_ = false;
  Job& job = *queue_.front();
  if (!error.empty()) {
    retry_later("writing a batch failed; will retry", error);
    return;
  }
  consecutive_failures_ = 0;
  if (job.full) {
    // Backpressure: the input waits for this acknowledgement, so it stops reading.
    full_waits_->inc();
    if (!paused_for_space_) {
      log_.warn("buffer full (storage.max_bytes); inputs paused until outputs catch up");
      paused_for_space_ = true;
      if (full_health_ != nullptr) {
        full_health_->set("storage.max_bytes reached; inputs paused until outputs catch up");
      }
    }
    if (job.refuse_when_full) {
      // Its client is told to come back later; the batch is not kept, nor retried here.
      std::unique_ptr<Job> refused = std::move(queue_.front());
      queue_.pop_front();
      SubmitResult result;
      result.refused_full = true;
      refused->done(std::move(result));
      start_next();
      normalize_ahead();
      return;
    }
    refuse_waiting_jobs();
    retry_timer_.start(200, 0, [this] { start_next(); });
    return;
  }
  if (paused_for_space_) {
    log_.info("buffer has room again; inputs resume");
    paused_for_space_ = false;
    if (full_health_ != nullptr) full_health_->clear();
  }
  uint64_t rejected = 0;
  for (int i = 0; i < kRejectReasonCount; ++i) {
    if (uint64_t n = job.rejected_by_reason[static_cast<size_t>(i)]; n > 0) {
      rejected_[static_cast<size_t>(i)]->inc(n);
      rejected += n;
    }
  }
  if (rejected > 0) {
    log_.warn("records rejected; they are in the dead-letter file with their reasons",
              {{"input", job.input},
               {"rejected", rejected},
               {"dead_letter", dead_letters_.path().string()}});
  }
  appended_records_->inc(job.documents.size());
  for (size_t i = 0; i < job.decisions.size(); ++i) {
    if (job.decisions[i] > 0) decisions_[i]->inc(job.decisions[i]);
  }
  if (job.records_in != nullptr) job.records_in->inc(job.batch.size());
  if (job.dropped_total > dropped_seen_) {
    uint64_t dropped = job.dropped_total - dropped_seen_;
    dropped_seen_ = job.dropped_total;
    dropped_->inc(dropped);
    log_.warn(
        "buffer full (storage.max_bytes): dropped the oldest undelivered records "
        "(when_full: drop_oldest)",
        {{"dropped", dropped}, {"dropped_since_start", dropped_seen_}});
  }
  bool had_documents = !job.documents.empty();
  // From here on only the acknowledgement is left: give the batch's memory back now, since
  // it may wait for the next fsync.
  job.batch = RawBatch{};
  job.documents = DocumentBatch{};
  std::unique_ptr<Job> done = std::move(queue_.front());
  queue_.pop_front();
  if (options_.sync == buffer::SyncMode::kBatch) {
    awaiting_sync_.push_back(std::move(done));
    schedule_sync();
  } else {
    acknowledge(std::move(done));
  }
  if (had_documents) appended_();
  start_next();
  normalize_ahead();
}

void Pipeline::refuse_waiting_jobs() {
  // The batch at the front waits for room (a tail input's: its input just pauses). Batches
  // behind it that may be refused (HTTP requests) are refused now, as they would be at the
  // front, rather than held until there is room: their clients get 503 and Retry-After instead
  // of a request that hangs for as long as the outputs are stuck.
  std::vector<std::unique_ptr<Job>> refused;
  for (auto it = std::next(queue_.begin()); it != queue_.end();) {
    // A batch a worker is normalizing is left for its turn.
    if (!(*it)->refuse_when_full || (*it)->normalizing_ahead) {
      ++it;
      continue;
    }
    refused.push_back(std::move(*it));
    it = queue_.erase(it);
  }
  // Answered once the queue is left alone: an answer may submit again.
  for (std::unique_ptr<Job>& job : refused) {
    SubmitResult result;
    result.refused_full = true;
    job->done(std::move(result));
  }
}

void Pipeline::acknowledge(std::unique_ptr<Job> job) {
  SubmitResult result;
  result.rejected = std::move(job->rejections);
  job->done(std::move(result));
}

void Pipeline::schedule_sync() {
  if (syncing_ || sync_timer_.active() || awaiting_sync_.empty()) return;
  uint64_t now = uv_now(loop_);
  uint64_t due = last_sync_ms_ + static_cast<uint64_t>(options_.sync_interval.count());
  if (now >= due) {
    start_sync();
  } else {
    sync_timer_.start(due - now, 0, [this] { start_sync(); });
  }
}

void Pipeline::start_sync() {
  syncing_ = true;
  size_t covered = awaiting_sync_.size();  // batches appended before this fsync starts
  auto error = std::make_shared<std::string>();
  loop::queue_work(
      loop_, [this, error] { *error = disk_.sync(); },
      [this, error, covered](const std::string& thrown) {
        syncing_ = false;
        last_sync_ms_ = uv_now(loop_);
        std::string err = thrown.empty() ? *error : thrown;
        if (!err.empty()) {
          log_.error("fsync of the buffer failed; will retry", {{"error", err}});
          sync_timer_.start(1000, 0, [this] { start_sync(); });
          return;
        }
        for (size_t i = 0; i < covered && !awaiting_sync_.empty(); ++i) {
          std::unique_ptr<Job> job = std::move(awaiting_sync_.front());
          awaiting_sync_.pop_front();
          acknowledge(std::move(job));
        }
        schedule_sync();
      });
}

}  // namespace auditrelay
