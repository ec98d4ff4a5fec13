// Reads the lines of record files, plain or zstd-compressed, on a thread of its own so that
// reading and decompressing overlap with the caller's parsing. Memory stays a few batches,
// whatever the files' sizes.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/core/record.h"

namespace auditrelay::report {

class RecordFiles {
 public:
  // Checks that every file can be opened before any is read; throws ReportError.
  RecordFiles(std::vector<std::string> paths, size_t max_record_bytes);
  ~RecordFiles();
  RecordFiles(const RecordFiles&) = delete;
  RecordFiles& operator=(const RecordFiles&) = delete;

  // The next batch of whole lines, in file order (the previous batch is given back), or
  // nullptr once every file is read. A line over max_record_bytes comes as a truncated record.
  // Throws ReportError when a file cannot be read or is not valid zstd.
  const RawBatch* next();

 private:
  class Producer;
  void produce();
  // Producer side: a free batch to fill (blocks while the caller holds them all), and a filled
  // one to hand over. Both return false once the caller has gone.
  bool take_free(std::unique_ptr<RawBatch>& batch);
  bool hand_over(std::unique_ptr<RawBatch> batch);
  void hand_back(std::unique_ptr<RawBatch> batch);

  std::vector<std::string> paths_;
  size_t max_record_bytes_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<RawBatch>> free_;
  std::deque<std::unique_ptr<RawBatch>> filled_;
  std::unique_ptr<RawBatch> current_;  // the caller's
  std::exception_ptr error_;
  bool done_ = false;      // the producer has handed over everything, or failed
  bool stopping_ = false;  // the caller has gone
  std::thread thread_;
};

}  // namespace auditrelay::report
