#include "agent/report/export_writer.h"

#include "agent/report/render.h"

namespace auditrelay::report {

ExportWriter::ExportWriter(ExportFormat format, std::ostream& out) : format_(format), out_(out) {}

void ExportWriter::begin() {
  if (format_ == ExportFormat::kCsv) {
    out_ << "id,timestamp,request_id,model,provider,policy_name,allowed,enforcement,violations\r\n";
  } else {
    out_ << "[";
  }
}

void ExportWriter::write(const ReportRecord& r) {
  if (format_ == ExportFormat::kJson) {
    out_ << (written_ == 0 ? "\n" : ",\n") << r.document;
    ++written_;
    return;
  }
  // Both schemas in the same columns: a policy_gateway record has no policy name (its id
  // stands in) and no enforcement mode (its rollout mode does).
  write_csv_field(out_, r.id);
  out_ << ',';
  write_csv_field(out_, r.timestamp);
  out_ << ',';
  write_csv_field(out_, r.request_id);
  out_ << ',';
  write_csv_field(out_, r.model);
  out_ << ',';
  write_csv_field(out_, r.provider.value_or(""));
  out_ << ',';
  write_csv_field(out_, r.policy_name.empty() ? r.policy_id : r.policy_name);
  out_ << ',' << (r.outcome == Outcome::kBlocked ? "false" : "true") << ',';
  write_csv_field(out_, r.enforcement);
  out_ << ',';
  joined_.clear();
  for (size_t i = 0; i < r.violations.size(); ++i) {
    if (i > 0) joined_ += "; ";
    joined_ += r.violations[i];
  }
  write_csv_field(out_, joined_);
  out_ << "\r\n";
  ++written_;
}

void ExportWriter::end() {
  if (format_ == ExportFormat::kJson) out_ << (written_ == 0 ? "]\n" : "\n]\n");
}

}  // namespace auditrelay::report
