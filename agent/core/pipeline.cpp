#include "agent/core/pipeline.h"

#include <algorithm>

#include "agent/core/dead_letter.h"
#include "agent/core/timestamp.h"

namespace auditrelay {

// One submitted batch on its way through the pipeline. Normalization happens once; a failed
// write is retried for the outputs that did not take the batch yet.
struct Pipeline::Job {
  std::string input;
  Schema schema;
  RawBatch batch;
  std::function<void()> done;

  bool normalized = false;
  DocumentBatch documents;
  std::string dead_letter_lines;
  std::array<uint64_t, kRejectReasonCount> rejected_by_reason{};
  bool dead_letters_written = false;
  std::vector<bool> written;  // per output
};

class Pipeline::InputSink : public RecordSink {
 public:
  InputSink(Pipeline& pipeline, std::string input, Schema schema)
      : pipeline_(pipeline), input_(std::move(input)), schema_(schema) {}

  void submit(RawBatch batch, std::function<void()> done) override {
    auto job = std::make_unique<Job>();
    job->input = input_;
    job->schema = schema_;
    job->batch = std::move(batch);
    job->done = std::move(done);
    pipeline_.enqueue(std::move(job));
  }

 private:
  Pipeline& pipeline_;
  std::string input_;
  Schema schema_;
};

Pipeline::Pipeline(uv_loop_t* loop, NormalizeOptions options, std::vector<PipelineOutput> outputs,
                   std::filesystem::path dead_letter_path, MetricsRegistry& metrics)
    : loop_(loop),
      normalizer_(std::move(options)),
      outputs_(std::move(outputs)),
      dead_letters_(std::move(dead_letter_path)),
      metrics_(metrics),
      retry_timer_(loop) {
  for (int i = 0; i < kRejectReasonCount; ++i) {
    rejected_[static_cast<size_t>(i)] = &metrics_.counter(
        "auditrelay_records_rejected_total", "Records rejected by the normalizer, by reason",
        {{"reason", std::string(to_string(static_cast<RejectReason>(i)))}});
  }
  for (const auto& o : outputs_) {
    written_.push_back(&metrics_.counter("auditrelay_output_documents_written_total",
                                         "Documents written by an output", {{"output", o.name}}));
  }
  write_errors_ = &metrics_.counter("auditrelay_pipeline_write_errors_total",
                                    "Batches whose write failed and will be retried");
}

Pipeline::~Pipeline() = default;

std::unique_ptr<RecordSink> Pipeline::sink_for(std::string input_name, Schema schema) {
  return std::make_unique<InputSink>(*this, std::move(input_name), schema);
}

void Pipeline::enqueue(std::unique_ptr<Job> job) {
  job->written.assign(outputs_.size(), false);
  queue_.push_back(std::move(job));
  if (!busy_) start_next();
}

void Pipeline::start_next() {
  if (queue_.empty()) return;
  busy_ = true;
  Job* job = queue_.front().get();
  loop::queue_work(
      loop_, [this, job] { process(*job); }, [this](const std::string& error) { finished(error); });
}

void Pipeline::process(Job& job) {
  if (!job.normalized) {
    // Start clean: an earlier attempt may have stopped half-way (it threw).
    job.documents.clear();
    job.dead_letter_lines.clear();
    job.rejected_by_reason.fill(0);
    std::string now = utc_timestamp_now();
    for (const RawRecord& r : job.batch.records()) {
      const RecordSource& source = job.batch.source(r);
      std::string_view bytes = job.batch.bytes(r);
      std::optional<Rejection> rejection;
      if (r.truncated()) {
        rejection = Rejection{RejectReason::kTooLarge,
                              "record of " + std::to_string(r.full_size) +
                                  " bytes is over max_record_bytes; only its first " +
                                  std::to_string(r.size) + " bytes are kept here"};
      } else {
        rejection =
            normalizer_.normalize(bytes, job.schema, {source.id_key, r.position}, job.documents);
      }
      if (rejection) {
        job.rejected_by_reason[static_cast<size_t>(rejection->reason)]++;
        append_dead_letter_entry({job.input, source, r, bytes, *rejection}, now,
                                 job.dead_letter_lines);
      }
    }
    job.normalized = true;
  }
  if (!job.dead_letters_written && !job.dead_letter_lines.empty()) {
    if (std::string err = dead_letters_.append(job.dead_letter_lines, true); !err.empty()) {
      throw std::runtime_error("dead-letter file: " + err);
    }
  }
  job.dead_letters_written = true;
  std::string errors;
  for (size_t i = 0; i < outputs_.size(); ++i) {
    if (job.written[i] || job.documents.empty()) {
      job.written[i] = true;
      continue;
    }
    std::string err = outputs_[i].output->write(job.documents);
    if (err.empty()) {
      job.written[i] = true;
    } else {
      errors += (errors.empty() ? "" : "; ") + ("output " + outputs_[i].name + ": " + err);
    }
  }
  if (!errors.empty()) throw std::runtime_error(errors);
}

void Pipeline::finished(const std::string& error) {
  Job& job = *queue_.front();
  if (!error.empty()) {
    // The world failed us (disk full, closed pipe): keep the batch and try again, backing off
    // up to 30 s. The input is not acknowledged meanwhile, so nothing is lost.
    write_errors_->inc();
    consecutive_failures_ = std::min(consecutive_failures_ + 1, 6u);
    uint64_t delay_ms = std::min<uint64_t>(500ull << consecutive_failures_, 30'000);
    log_.warn("writing a batch failed; will retry",
              {{"error", error}, {"records", job.batch.size()}, {"retry_in_ms", delay_ms}});
    retry_timer_.start(delay_ms, 0, [this] { start_next(); });
    return;
  }
  consecutive_failures_ = 0;
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
  for (size_t i = 0; i < outputs_.size(); ++i)
    written_[i]->inc(job.documents.size());
  std::unique_ptr<Job> finished_job = std::move(queue_.front());
  queue_.pop_front();
  busy_ = false;
  finished_job->done();
  if (!busy_) start_next();
}

}  // namespace auditrelay
