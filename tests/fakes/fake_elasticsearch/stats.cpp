#include "tests/fakes/fake_elasticsearch/stats.h"

namespace auditrelay::fakes::es {

void Stats::record(BulkRequestRecord record) {
  if (record.status == 0) {
    dropped_requests++;
  } else {
    requests_by_status_[index(record.status)]++;
  }
  if (records_.size() == kMaxRecords) records_.pop_front();
  records_.push_back(std::move(record));
}

void Stats::write_counts(JsonOut& out, const std::array<uint64_t, 600>& counts) {
  out.StartObject();
  for (size_t status = 0; status < counts.size(); ++status) {
    if (counts[status] != 0) out.Field(std::to_string(status), counts[status]);
  }
  out.EndObject();
}

void Stats::write(JsonOut& out, uint64_t indexed, uint64_t connections) const {
  out.StartObject();
  out.Field("indexed", indexed);
  out.Field("bulk_requests", bulk_requests);
  out.Field("items_received", items_received);
  out.Key("items_by_status");
  write_counts(out, items_by_status_);
  out.Key("requests_by_status");
  write_counts(out, requests_by_status_);
  out.Field("dropped_requests", dropped_requests);
  out.Field("connections", connections);
  out.Field("bytes_received", bytes_received);
  out.EndObject();
}

void Stats::write_requests(JsonOut& out) const {
  out.StartArray();
  for (const auto& r : records_) {
    out.StartObject();
    out.Field("unix_ms", r.unix_ms);
    out.Field("path", r.path);
    out.Field("status", r.status);
    out.Field("items", r.items);
    out.Field("bytes", r.bytes);
    out.Field("gzip", r.gzip);
    out.Field("content_type", r.content_type);
    out.EndObject();
  }
  out.EndArray();
}

void Stats::write_last_bulk_headers(JsonOut& out) const {
  out.StartArray();
  for (const auto& [name, value] : last_bulk_headers) {
    out.StartArray();
    out.String(name);
    out.String(value);
    out.EndArray();
  }
  out.EndArray();
}

void Stats::reset() {
  *this = Stats{};
}

}  // namespace auditrelay::fakes::es
