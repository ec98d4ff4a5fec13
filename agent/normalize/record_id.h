// Derived record ids (MAPPING.md §4) without a heap allocation per record.
#pragma once

#include <cstddef>
#include <string_view>

#include "agent/normalize/normalizer.h"

namespace auditrelay::normalize {

// 128 bits as 32 lowercase hex digits.
struct RecordId {
  static constexpr size_t kLength = 32;
  char hex[kLength];
  std::string_view view() const { return {hex, kLength}; }
};

// What derive_record_id() returns, written into `out`.
void derive_record_id_into(const RecordPosition& where, std::string_view raw, RecordId& out);

}  // namespace auditrelay::normalize
