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
// at run time for the CPU); valid until the thread's next parse. The envelope is built from it,
// and event_type_of() comes here when the On-Demand lookup cannot decide.
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

// The member at `path` ("a.b.c"): through nested objects first, then as a member whose name
// holds dots ({"a.b": {"c": 1}}, as a passed-through document may have), the most nested
// first; empty if absent or JSON null.
std::optional<Json> find_path(const Json& value, std::string_view path) {
  simdjson::dom::object object;
  if (value.get_object().get(object)) return std::nullopt;
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    Json head;
    if (object.at_key(path.substr(0, dot)).get(head)) continue;
    if (std::optional<Json> found = find_path(head, path.substr(dot + 1))) return found;
  }
  if (Json whole; !object.at_key(path).get(whole) && !whole.is_null()) return whole;
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

// The values of event.type read through the nested objects "event" then "type" with simdjson
// On-Demand: the document is indexed but no tree is built, and the members before "event" and
// after it are skipped (the output's wants() runs this on every document it reads). nullopt
// when that path does not decide: it is not there, or is null, or the JSON is broken on the
// way. On-Demand does not validate what it skips, so a document broken elsewhere may get a
// type here that the envelope's DOM parse then refuses (the driver dead-letters it).
std::optional<EventTypeValues> nested_event_type(std::string_view document) {
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string padded;  // On-Demand reads SIMDJSON_PADDING bytes past the end
  padded.assign(document);
  padded.append(simdjson::SIMDJSON_PADDING, ' ');
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  simdjson::ondemand::object event;
  simdjson::ondemand::value type;
  simdjson::ondemand::json_type kind;
  if (parser.iterate(padded.data(), document.size(), padded.size()).get(doc) ||
      doc.get_object().get(root) || root.find_field("event").get_object().get(event) ||
      event.find_field("type").get(type) || type.type().get(kind)) {
    return std::nullopt;
  }
  EventTypeValues values;
  std::string_view text;
  if (kind == simdjson::ondemand::json_type::string) {
    if (type.get_string().get(text)) return std::nullopt;
    note(text, values);
    return values;
  }
  if (kind != simdjson::ondemand::json_type::array) {
    // Neither a keyword nor an array of them: no type, unless null (then absent: let the DOM
    // look for a dotted name).
    if (kind == simdjson::ondemand::json_type::null) return std::nullopt;
    return values;
  }
  simdjson::ondemand::array items;
  if (type.get_array().get(items)) return std::nullopt;
  for (auto item : items) {
    simdjson::ondemand::value value;
    simdjson::ondemand::json_type item_kind;
    if (item.get(value) || value.type().get(item_kind)) return std::nullopt;
    if (item_kind != simdjson::ondemand::json_type::string) continue;  // skipped unread
    if (value.get_string().get(text)) return std::nullopt;
    note(text, values);
  }
  return values;
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
  if (std::optional<EventTypeValues> values = nested_event_type(document))
    return event_type_from(*values);
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
  // The type as wants() saw it (the two lookups differ only for a document holding a name
  // twice, once escaped: On-Demand compares names as written).
  const std::optional<EventType> type = event_type_of(document);
  if (!type) return false;
  const std::optional<Json> parsed = parse_object(document);
  if (!parsed) return false;
  const Json root = *parsed;

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
