#include "plugins/out_webhook/webhook_event.h"

#include <rapidjson/writer.h>
#include <simdjson.h>

#include <array>
#include <cstddef>

namespace auditrelay::webhook {
namespace {

using Json = simdjson::dom::element;

constexpr std::array<std::string_view, kEventTypeCount> kNames{
    "governance.request.blocked",
    "governance.request.warned",
    "governance.request.rewritten",
    "governance.request.allowed",
};

// The root object of `json`, parsed by this thread's simdjson DOM parser (its SIMD code picked
// at run time for the CPU); valid until the thread's next parse. Every document passes through
// here (the output's wants()), on the BatchDriver's worker threads.
std::optional<Json> parse_object(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  Json root;
  // The document is copied into the parser's own padded buffer (realloc_if_needed).
  if (parser.parse(json.data(), json.size(), true).get(root) || !root.is_object()) {
    return std::nullopt;
  }
  return root;
}

// Writes straight into a std::string (rapidjson's StringBuffer would be one more copy).
struct StringOutput {
  using Ch = char;
  std::string& out;
  void Put(char c) { out.push_back(c); }
  void Flush() {}
};
using Writer = rapidjson::Writer<StringOutput>;

// The member at `path` ("a.b.c"), as nested objects or as a member whose name holds dots
// ({"a.b": {"c": 1}}, as a passed-through document may have); empty if absent or JSON null.
std::optional<Json> find_path(const Json& value, std::string_view path) {
  simdjson::dom::object object;
  if (value.get_object().get(object)) return std::nullopt;
  if (Json whole; !object.at_key(path).get(whole)) {
    return whole.is_null() ? std::nullopt : std::optional<Json>(whole);
  }
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    Json head;
    if (object.at_key(path.substr(0, dot)).get(head)) continue;
    if (std::optional<Json> found = find_path(head, path.substr(dot + 1))) return found;
  }
  return std::nullopt;
}

void note(std::string_view value, EventTypeValues& values) {
  if (value == "allowed") values.allowed = true;
  if (value == "denied") values.denied = true;
  if (value == "info") values.info = true;
  if (value == "change") values.change = true;
}

std::optional<EventType> event_type_in(const Json& root) {
  const std::optional<Json> type = find_path(root, "event.type");
  if (!type) return std::nullopt;
  EventTypeValues values;
  // ECS keyword fields may hold one value or an array of them.
  if (std::string_view text; !type->get_string().get(text)) note(text, values);
  if (simdjson::dom::array items; !type->get_array().get(items)) {
    for (const Json item : items) {
      if (std::string_view text; !item.get_string().get(text)) note(text, values);
    }
  }
  return event_type_from(values);
}

// Copies `value` as JSON text.
void write_value(Writer& writer, const Json& value) {
  const std::string text = simdjson::minify(value);
  writer.RawValue(text.data(), text.size(),
                  value.is_string() ? rapidjson::kStringType : rapidjson::kNumberType);
}

void write_string(Writer& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

// The `data` members: the envelope's name and the document path it is read from.
struct DataField {
  std::string_view name;
  std::string_view path;
};
constexpr std::array kDataFields{
    DataField{"requestId", "http.request.id"},
    DataField{"model", "gen_ai.request.model"},
    DataField{"provider", "gen_ai.system"},
    DataField{"policyId", "policy.policy_id"},
    DataField{"policyName", "policy.policy_name"},
    DataField{"decision", "policy.decision"},
    DataField{"reasonCode", "policy.reason_code"},
    DataField{"violations", "policy.violation_reasons"},  // else policy.triggered_categories
    DataField{"userId", "user.id"},
    DataField{"projectId", "policy.project_id"},
    DataField{"rolloutMode", "policy.rollout_mode"},
    DataField{"ipAddress", "source.ip"},
};

}  // namespace

std::string_view to_string(EventType type) {
  return kNames[static_cast<size_t>(type)];
}

std::optional<EventType> parse_event_type(std::string_view text) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == text) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

std::optional<EventType> event_type_from(const EventTypeValues& v) {
  if (v.denied) return EventType::kBlocked;
  if (v.change) return EventType::kRewritten;
  if (v.allowed && v.info) return EventType::kWarned;
  if (v.allowed) return EventType::kAllowed;
  return std::nullopt;
}

std::optional<EventType> event_type_of(std::string_view document) {
  const std::optional<Json> root = parse_object(document);
  if (!root) return std::nullopt;
  return event_type_in(*root);
}

std::string event_id(std::string_view record_id) {
  std::string id = "evt_";
  id.append(record_id);
  return id;
}

bool append_envelope(std::string_view record_id, std::string_view document, std::string& out) {
  const std::optional<Json> parsed = parse_object(document);
  if (!parsed) return false;
  const Json root = *parsed;
  const std::optional<EventType> type = event_type_in(root);
  if (!type) return false;

  out.reserve(out.size() + 256 + document.size() / 2);
  StringOutput stream{out};
  Writer writer(stream);
  writer.StartObject();
  writer.Key("id");
  write_string(writer, event_id(record_id));
  writer.Key("type");
  write_string(writer, to_string(*type));
  if (Json ts; !root.at_key("@timestamp").get(ts) && !ts.is_null()) {
    writer.Key("timestamp");
    write_value(writer, ts);
  }
  writer.Key("data");
  writer.StartObject();
  for (const DataField& field : kDataFields) {
    std::optional<Json> value = find_path(root, field.path);
    if (!value && field.name == "violations")
      value = find_path(root, "policy.triggered_categories");
    if (!value) continue;
    writer.Key(field.name.data(), static_cast<rapidjson::SizeType>(field.name.size()));
    write_value(writer, *value);
  }
  writer.EndObject();
  writer.EndObject();
  return true;
}

}  // namespace auditrelay::webhook
