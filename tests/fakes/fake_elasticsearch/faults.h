// Faults the control port injects into bulk requests: per item (429, 503, 500, mapping errors
// by document id) and per request (refusals with Retry-After, size limit, delay, drops).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "tests/fakes/fake_elasticsearch/json_out.h"
#include "tests/fakes/fault_values.h"

namespace auditrelay::fakes::es {

struct Faults {
  double item_429_ratio = 0;
  double item_503_ratio = 0;
  double item_500_ratio = 0;
  std::unordered_set<std::string> item_400_ids;
  int requests_status = 429;  // for the next requests_count bulk requests
  uint64_t requests_count = 0;
  std::string retry_after;      // the Retry-After header of those, "" for none
  uint64_t max_body_bytes = 0;  // 0: no limit
  uint64_t delay_ms = 0;        // before every bulk answer
  uint64_t drop_requests = 0;   // the next N bulk requests get no answer
  uint64_t seed = 1;
};

// Applies the keys present in a /_fake/faults body; the rest stay as they are. Returns an
// error message ("" when applied). A "seed" key reseeds `random`.
std::string apply_faults(std::string_view json, Faults& faults, Random& random);
void write_faults(JsonOut& out, const Faults& faults);

}  // namespace auditrelay::fakes::es
