// What a report needs of one audit record, read from its normalized document (MAPPING.md): a
// raw gateway record of either schema is normalized first, a normalized document is read as
// it is. The views point into the reader and stay valid until its next read().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/normalize/json_reader.h"
#include "agent/normalize/normalizer.h"

namespace auditrelay::report {

// How a compliance report counts a decision. `allowed` is every request that was not blocked;
// a warned request is allowed and also counted as warned (as the gateways' reports do).
enum class Outcome { kAllowed, kWarned, kBlocked };

struct ReportRecord {
  int64_t timestamp_ms = 0;
  std::string_view timestamp;  // @timestamp as the document has it
  std::string_view id;         // event.id
  std::string_view request_id;
  std::string_view model;
  std::optional<std::string_view> provider;  // none: blocked before routing, or not recorded
  std::string_view policy_id;
  std::string_view policy_name;
  std::string_view decision;  // event.action: the decision as the gateway wrote it
  std::string_view reason_code;
  std::string_view rollout_mode;  // policy.rollout_mode, else policy.enforcement
  std::string_view enforcement;   // policy.enforcement, else policy.rollout_mode
  std::string_view ip;
  Outcome outcome = Outcome::kAllowed;
  // policy.violation_reasons, else policy.triggered_categories (as the webhook's `violations`).
  std::vector<std::string_view> violations;
  std::string_view document;  // the whole normalized document, one line
};

// Why a line of an input file is not in the report.
struct Skip {
  std::string reason;  // a normalizer reason (invalid_json, unknown_schema, ...)
  std::string message;
};

// Not thread-safe; reuses its buffers from record to record.
class RecordReader {
 public:
  RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // Reads one line. `where` keys the id of a raw record without one (MAPPING.md §4); with
  // `readable_after` bytes readable after `line`, it is parsed where it is.
  std::optional<Skip> read(std::string_view line, const RecordPosition& where,
                           size_t readable_after, ReportRecord& out);

 private:
  // Fills `out` from a document already parsed into json_; false when it is not one.
  bool extract(std::string_view document, ReportRecord& out, Skip& skip);

  normalize::JsonReader json_;
  Normalizer normalizer_;
  DocumentBatch normalized_;
};

}  // namespace auditrelay::report
