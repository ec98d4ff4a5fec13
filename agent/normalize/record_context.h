// What a schema normalizer gets for one record and what it hands back, so the three of them
// share one signature: std::optional<Rejection> f(const Json&, RecordContext&).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/normalize/ecs_writer.h"
#include "agent/normalize/event_type.h"
#include "agent/normalize/field_checks.h"
#include "agent/normalize/normalizer.h"
#include "agent/normalize/record_id.h"

namespace auditrelay::normalize {

// Buffers reused from record to record, owned by the Normalizer.
struct Scratch {
  RecordId derived_id;
  std::string index;   // a pass-through document's own data stream name
  std::string reason;  // governance_audit's joined violation reasons
  std::vector<Member> unmapped;
};

struct RecordContext {
  const NormalizeOptions& options;
  const RecordPosition& where;
  std::string_view raw;            // the record as read: what a derived id hashes
  std::string_view default_index;  // logs-<dataset>-<namespace> from the options
  const ConstantFields& constants;
  JsonWriter& writer;  // reset, empty; the normalizer writes one object
  Scratch& scratch;

  // Set by the normalizer on success; valid until the next record.
  std::string_view id{};
  std::string_view index{};
  EventType event_type{};  // of the record's decision; none for a document passed through

  // The record's id when it has none of its own (MAPPING.md §4).
  std::string_view derive_id() {
    derive_record_id_into(where, raw, scratch.derived_id);
    return scratch.derived_id.view();
  }
};

std::optional<Rejection> normalize_policy_gateway(const Json& record, RecordContext& ctx);
std::optional<Rejection> normalize_governance_audit(const Json& record, RecordContext& ctx);
// An already-normalized event (MAPPING.md §3), shipped as it is but for a missing
// @timestamp or event.id.
std::optional<Rejection> normalize_passthrough(const Json& record, RecordContext& ctx);

}  // namespace auditrelay::normalize
