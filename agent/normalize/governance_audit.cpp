// MAPPING.md §2: GovernanceAuditLog records (camelCase).
#include <array>

#include "agent/normalize/record_context.h"

namespace auditrelay::normalize {
namespace {

enum Field : size_t {
  kId,
  kTimestamp,
  kPolicyId,
  kAllowed,
  kEnforcement,
  kModel,
  kOrgId,
  kApiKeyId,
  kRequestId,
  kProvider,
  kPolicyName,
  kPolicySlot,
  kViolationReasons,
  kIpAddress,
  kUserAgent,
  kFieldCount,
};
constexpr std::array<std::string_view, kFieldCount> kNames = {
    "id",         "timestamp",  "policyId",         "allowed",   "enforcement",
    "model",      "orgId",      "apiKeyId",         "requestId", "provider",
    "policyName", "policySlot", "violationReasons", "ipAddress", "userAgent",
};
constexpr std::array<Field, 4> kRequiredStrings = {kId, kTimestamp, kPolicyId, kModel};
constexpr std::array<Field, 7> kOptionalStrings = {kOrgId,      kApiKeyId,  kRequestId, kProvider,
                                                   kPolicyName, kIpAddress, kUserAgent};
constexpr int kMinPolicySlot = 1;
constexpr int kMaxPolicySlot = 12;

using Slots = std::array<Slot, kFieldCount>;

struct Decision {
  std::string_view name;         // policy.decision, event.action
  std::string_view reason_code;  // policy.reason_code
};
constexpr Decision kBlock{"block", "BLOCK"};
constexpr Decision kWarn{"warn", "WARN"};
constexpr Decision kAllow{"allow", "ALLOW"};

std::optional<Rejection> check_required_string(Field field, Slot& slot) {
  if (auto rejection = check_string(kNames[field], slot)) return rejection;
  if (!slot) return missing_field(kNames[field]);
  return std::nullopt;
}

std::optional<Rejection> check_enforcement(Slot& slot) {
  if (auto rejection = check_required_string(kEnforcement, slot)) return rejection;
  const std::string_view value = string_of(*slot);
  if (value == "hard_block" || value == "soft_block" || value == "warn") return std::nullopt;
  return invalid_value("enforcement",
                       "must be one of hard_block, soft_block, warn, got " + quoted(value));
}

std::optional<Rejection> check_policy_slot(Slot& slot) {
  if (!slot || slot->is_null()) {
    slot.reset();
    return std::nullopt;
  }
  const simdjson::dom::element_type type = slot->type();
  if (type != simdjson::dom::element_type::INT64 && type != simdjson::dom::element_type::UINT64) {
    return wrong_type("policySlot", "an integer", *slot);
  }
  int64_t value = 0;
  if (slot->get_int64().get(value) || value < kMinPolicySlot || value > kMaxPolicySlot) {
    return invalid_value("policySlot", "must be between 1 and 12");
  }
  return std::nullopt;
}

std::optional<Rejection> check_fields(Slots& slots) {
  for (Field field : kRequiredStrings) {
    if (auto rejection = check_required_string(field, slots[field])) return rejection;
  }
  if (string_of(*slots[kId]).empty()) return invalid_value("id", "must not be empty");
  if (auto rejection = check_boolean("allowed", slots[kAllowed])) return rejection;
  if (!slots[kAllowed]) return missing_field("allowed");
  if (auto rejection = check_enforcement(slots[kEnforcement])) return rejection;
  for (Field field : kOptionalStrings) {
    if (auto rejection = check_string(kNames[field], slots[field])) return rejection;
  }
  if (auto rejection = check_policy_slot(slots[kPolicySlot])) return rejection;
  return check_string_array("violationReasons", slots[kViolationReasons]);
}

bool has_violations(const Slots& slots) {
  return slots[kViolationReasons] && array_of(*slots[kViolationReasons]).size() > 0;
}

Decision decide(const Slots& slots) {
  if (!slots[kAllowed]->get_bool().value_unsafe()) return kBlock;
  return has_violations(slots) ? kWarn : kAllow;
}

void write_event(JsonWriter& w, const Slots& slots, const Decision& decision, RecordContext& ctx) {
  write_key(w, "event");
  w.StartObject();
  write_event_head(w, ctx.constants);
  ctx.event_type = classify_decision(decision.name);
  write_event_type(w, ctx.event_type);
  write_member(w, "action", decision.name);
  if (has_violations(slots)) {
    std::string& reason = ctx.scratch.reason;
    reason.clear();
    for (const Json violation : array_of(*slots[kViolationReasons])) {
      if (!reason.empty()) reason.append("; ");
      reason.append(string_of(violation));
    }
    write_member(w, "reason", reason);
  }
  write_member(w, "id", ctx.id);
  w.EndObject();
}

// {"<outer>": {"<inner>": value}}, for the ECS fields that are one string deep in a field set.
void write_nested(JsonWriter& w, std::string_view outer, std::string_view inner,
                  const Json& value) {
  write_key(w, outer);
  w.StartObject();
  write_member(w, inner, value);
  w.EndObject();
}

void write_gen_ai(JsonWriter& w, const Slots& slots) {
  write_key(w, "gen_ai");
  w.StartObject();
  write_nested(w, "request", "model", *slots[kModel]);
  if (slots[kProvider]) write_member(w, "system", *slots[kProvider]);
  w.EndObject();
}

void write_ecs_extras(JsonWriter& w, const Slots& slots, bool ip_valid) {
  write_gen_ai(w, slots);
  if (slots[kRequestId]) {
    write_key(w, "http");
    w.StartObject();
    write_nested(w, "request", "id", *slots[kRequestId]);
    w.EndObject();
  }
  if (slots[kOrgId]) write_nested(w, "organization", "id", *slots[kOrgId]);
  if (ip_valid) write_nested(w, "source", "ip", *slots[kIpAddress]);
  if (slots[kUserAgent]) write_nested(w, "user_agent", "original", *slots[kUserAgent]);
}

// policy.<name> = slots[field] when present.
void write_optional(JsonWriter& w, std::string_view name, const Slot& value) {
  if (value) write_member(w, name, *value);
}

void write_unmapped(JsonWriter& w, const std::vector<Member>& unmapped, const Slot& bad_ip) {
  if (unmapped.empty() && !bad_ip) return;
  write_key(w, "unmapped");
  w.StartObject();
  for (const Member& member : unmapped)
    write_record_member(w, member);
  if (bad_ip) write_member(w, kNames[kIpAddress], *bad_ip);
  w.EndObject();
}

void write_policy(JsonWriter& w, const Slots& slots, const Decision& decision, bool ip_valid,
                  const std::vector<Member>& unmapped) {
  write_key(w, "policy");
  w.StartObject();
  write_member(w, "policy_id", *slots[kPolicyId]);
  write_optional(w, "policy_name", slots[kPolicyName]);
  write_optional(w, "policy_slot", slots[kPolicySlot]);
  write_member(w, "decision", decision.name);
  write_member(w, "effective_decision", decision.name);
  write_member(w, "reason_code", decision.reason_code);
  write_member(w, "enforcement", *slots[kEnforcement]);
  write_key(w, "enforced");
  w.Bool(string_of(*slots[kEnforcement]) != "warn");
  write_optional(w, "violation_reasons", slots[kViolationReasons]);
  write_member(w, "model", *slots[kModel]);
  write_optional(w, "provider", slots[kProvider]);
  write_optional(w, "request_id", slots[kRequestId]);
  write_optional(w, "org_id", slots[kOrgId]);
  write_optional(w, "api_key_id", slots[kApiKeyId]);
  write_member(w, "created_at", *slots[kTimestamp]);
  write_unmapped(w, unmapped, ip_valid ? Slot() : slots[kIpAddress]);
  w.EndObject();
}

}  // namespace

std::optional<Rejection> normalize_governance_audit(const Json& record, RecordContext& ctx) {
  Slots slots;
  std::vector<Member>& unmapped = ctx.scratch.unmapped;
  if (auto rejection = collect_fields(record, kNames, slots, unmapped)) return rejection;
  if (auto rejection = check_fields(slots)) return rejection;
  const std::optional<UtcTimestamp> timestamp = normalize_timestamp(string_of(*slots[kTimestamp]));
  if (!timestamp) return invalid_timestamp("timestamp", string_of(*slots[kTimestamp]));

  ctx.id = string_of(*slots[kId]);
  ctx.index = ctx.default_index;
  const Decision decision = decide(slots);
  // source.ip is typed `ip` in ECS: a value that is not an address would fail the whole
  // document at index time, so it is kept in the flattened policy.unmapped instead.
  const bool ip_valid = slots[kIpAddress] && is_ip_address(*slots[kIpAddress]);

  JsonWriter& w = ctx.writer;
  w.StartObject();
  write_document_head(w, *timestamp, ctx.constants);
  write_event(w, slots, decision, ctx);
  write_ecs_extras(w, slots, ip_valid);
  write_policy(w, slots, decision, ip_valid, unmapped);
  w.EndObject();
  return std::nullopt;
}

}  // namespace auditrelay::normalize
