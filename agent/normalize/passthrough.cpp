// MAPPING.md §3: a record that is already a normalized event is shipped unchanged, except
// that a missing @timestamp comes from policy.created_at and a missing event.id is derived.
#include "agent/normalize/record_context.h"

namespace auditrelay::normalize {
namespace {

using rapidjson::Value;

const Value* find(const Value& object, std::string_view key) {
  const auto it = object.FindMember(
      Value(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
  return it == object.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

// What the record lacks and gets from us. A JSON null counts as missing, as everywhere.
struct Additions {
  std::optional<UtcTimestamp> timestamp;  // set when @timestamp is missing
  const Value* event = nullptr;           // the record's event object, if any
  bool derive_id = false;                 // event.id is missing or empty
};

std::optional<Rejection> plan_timestamp(const Value& record, Additions& add) {
  if (find(record, "@timestamp") != nullptr) return std::nullopt;
  // Detection saw a `policy` object, but with duplicate keys the first one may be another
  // one, so nothing here relies on it.
  const Value* policy = find(record, "policy");
  const Value* created_at =
      policy != nullptr && policy->IsObject() ? find(*policy, "created_at") : nullptr;
  if (created_at == nullptr) {
    return Rejection{RejectReason::kMissingField,
                     "missing '@timestamp' and 'policy.created_at' to take it from"};
  }
  if (!created_at->IsString()) return wrong_type("policy.created_at", "a string", *created_at);
  add.timestamp = normalize_timestamp(string_of(*created_at));
  if (!add.timestamp) return invalid_timestamp("policy.created_at", string_of(*created_at));
  return std::nullopt;
}

std::optional<Rejection> plan_event_id(const Value& record, Additions& add, RecordContext& ctx) {
  add.event = find(record, "event");
  if (add.event != nullptr && !add.event->IsObject()) {
    return wrong_type("event", "an object", *add.event);
  }
  const Value* id = add.event != nullptr ? find(*add.event, "id") : nullptr;
  if (id != nullptr && !id->IsString()) return wrong_type("event.id", "a string", *id);
  add.derive_id = id == nullptr || id->GetStringLength() == 0;
  ctx.id = add.derive_id ? ctx.derive_id() : string_of(*id);
  return std::nullopt;
}

// The record's own data stream when it names one, else the pipeline's.
void choose_index(const Value& record, RecordContext& ctx) {
  const Value* data_stream = find(record, "data_stream");
  auto part = [&](std::string_view key, std::string_view fallback) {
    const Value* v =
        data_stream != nullptr && data_stream->IsObject() ? find(*data_stream, key) : nullptr;
    return v != nullptr && v->IsString() && v->GetStringLength() > 0 ? string_of(*v) : fallback;
  };
  std::string& index = ctx.scratch.index;
  index.assign(part("type", "logs"));
  index.append("-").append(part("dataset", ctx.options.dataset));
  index.append("-").append(part("namespace", ctx.options.namespace_));
  ctx.index = index;
}

void write_event_with_id(JsonWriter& w, const Value* event, std::string_view id) {
  write_key(w, "event");
  w.StartObject();
  if (event != nullptr) {
    for (const auto& member : event->GetObject()) {
      if (string_of(member.name) != "id") write_member(w, string_of(member.name), member.value);
    }
  }
  write_member(w, "id", id);
  w.EndObject();
}

void write_record(JsonWriter& w, const Value& record, const Additions& add, std::string_view id) {
  w.StartObject();
  if (add.timestamp) write_member(w, "@timestamp", add.timestamp->view());
  if (add.derive_id && add.event == nullptr) write_event_with_id(w, nullptr, id);
  for (const auto& member : record.GetObject()) {
    const std::string_view key = string_of(member.name);
    if (key == "@timestamp" && add.timestamp) continue;  // a null we replaced
    if (key == "event" && add.derive_id) {
      if (add.event == &member.value) write_event_with_id(w, add.event, id);
      continue;  // a null event (replaced above), or a duplicate key
    }
    write_member(w, key, member.value);
  }
  w.EndObject();
}

}  // namespace

std::optional<Rejection> normalize_passthrough(const Value& record, RecordContext& ctx) {
  Additions add;
  if (auto rejection = plan_timestamp(record, add)) return rejection;
  if (auto rejection = plan_event_id(record, add, ctx)) return rejection;
  choose_index(record, ctx);
  write_record(ctx.writer, record, add, ctx.id);
  return std::nullopt;
}

}  // namespace auditrelay::normalize
