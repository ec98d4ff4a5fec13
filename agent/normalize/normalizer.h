// Turns one raw gateway audit record into an Elastic data_stream / ECS document, exactly as
// ../shared/design/MAPPING.md specifies, or says precisely why it cannot.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/core/document.h"
#include "agent/normalize/event_type.h"

namespace auditrelay {

enum class Schema { kAuto, kPolicyGateway, kGovernanceAudit };
bool parse_schema(std::string_view text, Schema& out);
std::string_view to_string(Schema schema);

// Why a record was rejected; the string form is the `reason` label of
// auditrelay_records_rejected_total and of dead-letter entries.
enum class RejectReason {
  kInvalidJson,       // "invalid_json"
  kInvalidUtf8,       // "invalid_utf8"
  kNotAnObject,       // "not_an_object"
  kTooDeep,           // "too_deep": nesting over NormalizeOptions::max_depth
  kTooLarge,          // "too_large": longer than the input's max_record_bytes
  kEmpty,             // "empty": nothing but whitespace
  kUnknownSchema,     // "unknown_schema"
  kMissingField,      // "missing_field"
  kWrongType,         // "wrong_type"
  kInvalidValue,      // "invalid_value": right type, value outside its domain
  kInvalidTimestamp,  // "invalid_timestamp"
};
inline constexpr int kRejectReasonCount = 11;
std::string_view to_string(RejectReason reason);

struct Rejection {
  RejectReason reason;
  std::string message;  // human-readable detail, e.g. "field 'enforced' must be a boolean"
};

struct NormalizeOptions {
  std::string dataset = "policy_gateway.audit";
  std::string namespace_ = "default";
  std::string service_name = "policy-gateway";
  unsigned max_depth = 32;  // deepest nesting of objects/arrays accepted
};

// Identifies a record's position so a derived id is stable (MAPPING.md §4).
struct RecordPosition {
  std::string_view source_key;  // RecordSource::id_key
  uint64_t position = 0;        // byte offset in the source
};

// Derived record id: 128-bit XXH3 of (source key, position, raw bytes), 32 lowercase hex.
std::string derive_record_id(const RecordPosition& where, std::string_view raw);

// Not thread-safe: one Normalizer per thread. Reuses its buffers across records.
class Normalizer {
 public:
  explicit Normalizer(NormalizeOptions options);
  ~Normalizer();
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // Normalizes `raw` (one record, no line terminator) with `schema`. On success appends the
  // document to `out` and returns nullopt; otherwise appends nothing and returns why.
  // `event_type`, when given, receives the types of the record's decision. When at least
  // `readable_after` bytes after `raw` may be read (the rest of a batch), the parser reads the
  // record where it is instead of copying it first.
  std::optional<Rejection> normalize(std::string_view raw, Schema schema,
                                     const RecordPosition& where, DocumentBatch& out,
                                     normalize::EventType* event_type = nullptr,
                                     size_t readable_after = 0);

  const NormalizeOptions& options() const { return options_; }

 private:
  struct State;
  NormalizeOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace auditrelay
