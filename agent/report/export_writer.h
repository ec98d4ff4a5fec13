// `auditrelay export`: the matching records, streamed as they are read, as CSV rows or as a
// JSON array of normalized documents.
#pragma once

#include <ostream>
#include <string>

#include "agent/report/report_record.h"

namespace auditrelay::report {

enum class ExportFormat { kCsv, kJson };

class ExportWriter {
 public:
  ExportWriter(ExportFormat format, std::ostream& out);
  // Writes the header (CSV) or the opening bracket (JSON).
  void begin();
  void write(const ReportRecord& record);
  void end();
  uint64_t written() const { return written_; }

 private:
  ExportFormat format_;
  std::ostream& out_;
  uint64_t written_ = 0;
  std::string joined_;  // the violations of a row, reused
};

}  // namespace auditrelay::report
