// An output's dead-letter file: documents a receiver rejected for good (or that outlived
// retry.max_duration), one NDJSON line each with why, so nothing is dropped silently. The file
// rotates by size (<path> → <path>.1 → … <path>.N, the oldest removed). Entries are fsynced
// before the buffer cursor passes their documents.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "agent/core/document.h"
#include "agent/core/durable_io.h"
#include "agent/delivery/delivery_settings.h"

namespace auditrelay::delivery {

struct DeadLetterItem {
  std::string_view output;
  const DocumentView& document;
  int status = 0;
  std::string_view error_type;
  std::string_view reason;
  unsigned attempts = 0;
  std::chrono::system_clock::time_point first_attempt;
  std::chrono::system_clock::time_point last_attempt;
};

// Appends {"time","output","id","index","status","error_type","reason","attempts",
// "first_attempt","last_attempt","document"} and a newline to `out`; `document` is the
// document itself (it is JSON), not a string.
void append_output_dead_letter(const DeadLetterItem& item, std::string& out);

class OutputDeadLetterFile {
 public:
  explicit OutputDeadLetterFile(DeadLetterOptions options);

  // Appends complete lines durably, rotating first when they would pass max_bytes. Any
  // thread. Returns "" or the error (the caller retries; nothing half-written stays).
  std::string write(std::string_view lines);

  const std::filesystem::path& path() const { return options_.path; }

 private:
  std::string rotate();

  DeadLetterOptions options_;
  std::mutex mutex_;
  AppendFile file_;
  uint64_t size_ = 0;
};

}  // namespace auditrelay::delivery
