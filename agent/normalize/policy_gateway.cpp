// MAPPING.md §1: policy gateway decision records.
#include <array>

#include "agent/normalize/record_context.h"

namespace auditrelay::normalize {
namespace {

enum class Kind { kString, kBoolean, kStringArray, kStringOrStringArray };

struct PolicyField {
  std::string_view name;
  Kind kind;
};

// The fields copied to policy.<name>, in output order. The enum below indexes this table.
constexpr std::array<PolicyField, 15> kFields = {{
    {"policy_id", Kind::kString},
    {"decision", Kind::kString},
    {"effective_decision", Kind::kString},
    {"reason_code", Kind::kString},
    {"policy_user", Kind::kString},
    {"project_id", Kind::kString},
    {"policy_target", Kind::kString},
    {"rollout_mode", Kind::kString},
    {"enforced", Kind::kBoolean},
    {"triggered_categories", Kind::kStringArray},
    {"allowlist_hits", Kind::kStringArray},
    {"denylist_hits", Kind::kStringArray},
    {"model", Kind::kString},
    {"created_at", Kind::kString},
    {"data_classification", Kind::kStringOrStringArray},
}};
enum Field : size_t {
  kPolicyId,
  kDecision,
  kEffectiveDecision,
  kReasonCode,
  kPolicyUser,
  kProjectId,
  kPolicyTarget,
  kRolloutMode,
  kEnforced,
  kTriggeredCategories,
  kAllowlistHits,
  kDenylistHits,
  kModel,
  kCreatedAt,
  kDataClassification,
  kFieldCount,
};
static_assert(kFieldCount == kFields.size());

constexpr std::array<std::string_view, kFieldCount> kNames = [] {
  std::array<std::string_view, kFieldCount> names{};
  for (size_t i = 0; i < kFieldCount; ++i)
    names[i] = kFields[i].name;
  return names;
}();

constexpr std::array<Field, 3> kRequired = {kPolicyId, kDecision, kCreatedAt};

using Slots = std::array<Slot, kFieldCount>;

std::optional<Rejection> check_field(const PolicyField& field, Slot& slot) {
  switch (field.kind) {
    case Kind::kString:
      return check_string(field.name, slot);
    case Kind::kBoolean:
      return check_boolean(field.name, slot);
    case Kind::kStringArray:
      return check_string_array(field.name, slot);
    case Kind::kStringOrStringArray:
      return check_string_or_string_array(field.name, slot);
  }
  return std::nullopt;
}

std::optional<Rejection> check_fields(Slots& slots) {
  for (size_t i = 0; i < kFieldCount; ++i) {
    if (auto rejection = check_field(kFields[i], slots[i])) return rejection;
  }
  for (Field field : kRequired) {
    if (!slots[field]) return missing_field(kFields[field].name);
  }
  return std::nullopt;
}

// `id`, else `event_id`, when a non-empty string: the producer's own id. Both also stay in
// policy.unmapped, as every field outside the policy list does.
std::string_view own_id(const std::vector<Member>& unmapped) {
  std::string_view event_id;
  for (const Member& member : unmapped) {
    if (!member.value.is_string()) continue;
    const std::string_view value = string_of(member.value);
    if (value.empty()) continue;
    if (member.key == "id") return value;
    if (member.key == "event_id" && event_id.empty()) event_id = value;
  }
  return event_id;
}

void write_event(JsonWriter& w, const Slots& slots, RecordContext& ctx) {
  const Json& decision = slots[kEffectiveDecision] ? *slots[kEffectiveDecision] : *slots[kDecision];
  write_key(w, "event");
  w.StartObject();
  write_event_head(w, ctx.constants);
  ctx.event_type = classify_decision(string_of(decision));
  write_event_type(w, ctx.event_type);
  write_member(w, "action", *slots[kDecision]);
  if (slots[kReasonCode]) write_member(w, "reason", *slots[kReasonCode]);
  write_member(w, "id", ctx.id);
  w.EndObject();
}

// user.id and gen_ai.request.model, each only when its source field is there.
void write_ecs_extras(JsonWriter& w, const Slots& slots) {
  if (slots[kPolicyUser]) {
    write_key(w, "user");
    w.StartObject();
    write_member(w, "id", *slots[kPolicyUser]);
    w.EndObject();
  }
  if (slots[kModel]) {
    write_key(w, "gen_ai");
    w.StartObject();
    write_key(w, "request");
    w.StartObject();
    write_member(w, "model", *slots[kModel]);
    w.EndObject();
    w.EndObject();
  }
}

void write_policy(JsonWriter& w, const Slots& slots, const std::vector<Member>& unmapped) {
  write_key(w, "policy");
  w.StartObject();
  for (size_t i = 0; i < kFieldCount; ++i) {
    if (!slots[i]) continue;
    w.PlainKey(kFields[i].name);  // our own names: nothing to escape
    if (i == kDataClassification && slots[i]->is_string()) {
      w.StartArray();  // a single tag is written as a one-element array
      write_value(w, *slots[i]);
      w.EndArray();
    } else {
      write_value(w, *slots[i]);
    }
  }
  if (!unmapped.empty()) {
    write_key(w, "unmapped");
    w.StartObject();
    for (const Member& member : unmapped)
      write_record_member(w, member);
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

std::optional<Rejection> normalize_policy_gateway(const Json& record, RecordContext& ctx) {
  Slots slots;
  std::vector<Member>& unmapped = ctx.scratch.unmapped;
  if (auto rejection = collect_fields(record, kNames, slots, unmapped)) return rejection;
  if (auto rejection = check_fields(slots)) return rejection;
  const std::optional<UtcTimestamp> timestamp = normalize_timestamp(string_of(*slots[kCreatedAt]));
  if (!timestamp) return invalid_timestamp("created_at", string_of(*slots[kCreatedAt]));

  const std::string_view id = own_id(unmapped);
  ctx.id = id.empty() ? ctx.derive_id() : id;
  ctx.index = ctx.default_index;

  JsonWriter& w = ctx.writer;
  w.StartObject();
  write_document_head(w, *timestamp, ctx.constants);
  write_event(w, slots, ctx);
  write_ecs_extras(w, slots);
  write_policy(w, slots, unmapped);
  w.EndObject();
  return std::nullopt;
}

}  // namespace auditrelay::normalize
