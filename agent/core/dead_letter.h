// Dead-letter entries for records the normalizer rejected: one NDJSON line each, with the
// reason, where the record came from and its raw bytes (base64 when they are not UTF-8).
#pragma once

#include <string>
#include <string_view>

#include "agent/core/record.h"
#include "agent/normalize/normalizer.h"

namespace auditrelay {

struct RejectedRecord {
  std::string_view input;  // the input instance name
  const RecordSource& source;
  const RawRecord& record;
  std::string_view bytes;  // what was kept of the record (all of it unless truncated)
  const Rejection& rejection;
};

// Appends {"time","reason","message","input","source","position","length","raw"|"raw_base64",
// "truncated"?} and a newline to `out`. `time` is RFC 3339 UTC with milliseconds.
void append_dead_letter_entry(const RejectedRecord& rejected, std::string_view time,
                              std::string& out);

bool is_valid_utf8(std::string_view bytes);
std::string base64_encode(std::string_view bytes);

}  // namespace auditrelay
