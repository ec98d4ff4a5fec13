// Counters of what the fake received and answered, and a log of recent bulk requests, for
// tests to assert on through the control port.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/fake_elasticsearch/json_out.h"

namespace auditrelay::fakes::es {

struct BulkRequestRecord {
  int64_t unix_ms = 0;
  std::string path;
  int status = 0;  // 0: dropped without an answer
  uint64_t items = 0;
  uint64_t bytes = 0;  // as received, before decompression
  bool gzip = false;
  std::string content_type;
};

class Stats {
 public:
  static constexpr size_t kMaxRecords = 100000;

  void count_item(int status) { items_by_status_[index(status)]++; }
  // Records a bulk request once its answer is known.
  void record(BulkRequestRecord record);

  uint64_t bulk_requests = 0;
  uint64_t items_received = 0;
  uint64_t bytes_received = 0;
  uint64_t dropped_requests = 0;
  // The headers of the last bulk request, as received (names in their case, in order).
  std::vector<std::pair<std::string, std::string>> last_bulk_headers;

  // The /_fake/stats object; `indexed` and `connections` come from elsewhere.
  void write(JsonOut& out, uint64_t indexed, uint64_t connections) const;
  // The /_fake/requests array.
  void write_requests(JsonOut& out) const;
  // The /_fake/last_bulk_headers array of [name, value] pairs.
  void write_last_bulk_headers(JsonOut& out) const;
  void reset();

 private:
  static size_t index(int status) { return status >= 0 && status < 600 ? status : 0; }
  static void write_counts(JsonOut& out, const std::array<uint64_t, 600>& counts);

  std::array<uint64_t, 600> items_by_status_{};
  std::array<uint64_t, 600> requests_by_status_{};
  std::deque<BulkRequestRecord> records_;
};

}  // namespace auditrelay::fakes::es
