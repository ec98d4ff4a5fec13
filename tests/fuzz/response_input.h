// The layout both response-classifier fuzz targets read their input in: a few header bytes
// choosing the HTTP status, the number of items sent and the transport fields, then the body.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agent/delivery/http_client.h"

namespace auditrelay::fuzz {

struct ResponseInput {
  delivery::HttpResponse response;
  size_t items = 0;
};

// byte 0: status, from a list of the statuses the classifiers treat apart (below 224), else
//         bytes 1-2 as any number up to 999; byte 3: items sent; byte 4: bit 0 a transport
//         error, bit 1 a Retry-After header; the rest: the body.
inline bool read_response_input(const uint8_t* data, size_t size, ResponseInput& out) {
  constexpr size_t kHeaderBytes = 5;
  if (size < kHeaderBytes) return false;
  constexpr std::array<long, 24> kStatuses{0,   200, 201, 202, 204, 207, 301, 302,
                                           400, 401, 403, 404, 408, 409, 410, 413,
                                           418, 429, 500, 502, 503, 504, 507, 599};
  out.response.status = data[0] < 224 ? kStatuses[data[0] % kStatuses.size()]
                                      : ((long{data[1]} << 8) | data[2]) % 1000;
  out.items = data[3];
  if ((data[4] & 0x1) != 0) out.response.error = "Connection refused";
  if ((data[4] & 0x2) != 0) out.response.retry_after = "5";
  out.response.body.assign(reinterpret_cast<const char*>(data) + kHeaderBytes, size - kHeaderBytes);
  return true;
}

// Aborts (a finding) unless the outcome and each item's verdict is one of the three.
inline void abort_unless_valid(const delivery::Outcome& outcome) {
  auto valid = [](delivery::Verdict v) {
    return v == delivery::Verdict::kDelivered || v == delivery::Verdict::kRetry ||
           v == delivery::Verdict::kRejected;
  };
  if (!valid(outcome.verdict)) std::abort();
  for (const delivery::ItemOutcome& item : outcome.items) {
    if (!valid(item.verdict)) std::abort();
  }
}

}  // namespace auditrelay::fuzz
