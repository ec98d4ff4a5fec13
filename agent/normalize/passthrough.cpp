// MAPPING.md §3: a record that is already a normalized event is shipped unchanged, except
// that a missing @timestamp comes from policy.created_at and a missing event.id is derived.
#include "agent/normalize/record_context.h"

namespace auditrelay::normalize {
namespace {

// The first member named `key` of an object, if not null.
Slot find(const Json& object, std::string_view key) {
  for (const Member member : object_of(object)) {
    if (member.key == key) return member.value.is_null() ? Slot() : Slot(member.value);
  }
  return std::nullopt;
}

// What the record lacks and gets from us. A JSON null counts as missing, as everywhere.
struct Additions {
  std::optional<UtcTimestamp> timestamp;  // set when @timestamp is missing
  Slot event;                             // the record's event object, if any
  bool derive_id = false;                 // event.id is missing or empty
};

std::optional<Rejection> plan_timestamp(const Json& record, Additions& add) {
  if (find(record, "@timestamp")) return std::nullopt;
  // Detection saw a `policy` object, but with duplicate keys the first one may be another
  // one, so nothing here relies on it.
  const Slot policy = find(record, "policy");
  const Slot created_at = policy && policy->is_object() ? find(*policy, "created_at") : Slot();
  if (!created_at) {
    return Rejection{RejectReason::kMissingField,
                     "missing '@timestamp' and 'policy.created_at' to take it from"};
  }
  if (!created_at->is_string()) return wrong_type("policy.created_at", "a string", *created_at);
  add.timestamp = normalize_timestamp(string_of(*created_at));
  if (!add.timestamp) return invalid_timestamp("policy.created_at", string_of(*created_at));
  return std::nullopt;
}

std::optional<Rejection> plan_event_id(const Json& record, Additions& add, RecordContext& ctx) {
  add.event = find(record, "event");
  if (add.event && !add.event->is_object()) return wrong_type("event", "an object", *add.event);
  const Slot id = add.event ? find(*add.event, "id") : Slot();
  if (id && !id->is_string()) return wrong_type("event.id", "a string", *id);
  add.derive_id = !id || string_of(*id).empty();
  ctx.id = add.derive_id ? ctx.derive_id() : string_of(*id);
  return std::nullopt;
}

// The record's own data stream when it names one, else the pipeline's.
void choose_index(const Json& record, RecordContext& ctx) {
  const Slot data_stream = find(record, "data_stream");
  auto part = [&](std::string_view key, std::string_view fallback) {
    const Slot v = data_stream && data_stream->is_object() ? find(*data_stream, key) : Slot();
    return v && v->is_string() && !string_of(*v).empty() ? string_of(*v) : fallback;
  };
  std::string& index = ctx.scratch.index;
  index.assign(part("type", "logs"));
  index.append("-").append(part("dataset", ctx.options.dataset));
  index.append("-").append(part("namespace", ctx.options.namespace_));
  ctx.index = index;
}

void write_event_with_id(JsonWriter& w, const Slot& event, std::string_view id) {
  write_key(w, "event");
  w.StartObject();
  if (event) {
    for (const Member member : object_of(*event)) {
      if (member.key != "id") write_record_member(w, member);
    }
  }
  write_member(w, "id", id);
  w.EndObject();
}

void write_record(JsonWriter& w, const Json& record, const Additions& add, std::string_view id) {
  w.StartObject();
  if (add.timestamp) write_member(w, "@timestamp", add.timestamp->view());
  if (add.derive_id && !add.event) write_event_with_id(w, Slot(), id);
  bool event_written = false;
  for (const Member member : object_of(record)) {
    const std::string_view key = member.key;
    if (key == "@timestamp" && add.timestamp) continue;  // a null we replaced
    if (key == "event" && add.derive_id) {
      // The first non-null event is the one planned for; a null event was replaced above,
      // and a duplicate key is dropped.
      if (add.event && !event_written && !member.value.is_null()) {
        write_event_with_id(w, add.event, id);
        event_written = true;
      }
      continue;
    }
    write_record_member(w, member);
  }
  w.EndObject();
}

}  // namespace

std::optional<Rejection> normalize_passthrough(const Json& record, RecordContext& ctx) {
  Additions add;
  if (auto rejection = plan_timestamp(record, add)) return rejection;
  if (auto rejection = plan_event_id(record, add, ctx)) return rejection;
  choose_index(record, ctx);
  write_record(ctx.writer, record, add, ctx.id);
  return std::nullopt;
}

}  // namespace auditrelay::normalize
