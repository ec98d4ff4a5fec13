#include "plugins/out_webhook/webhook_event.h"

#include <rapidjson/document.h>
#include <rapidjson/writer.h>

#include <array>
#include <cstddef>

namespace auditrelay::webhook {
namespace {

using Pool = rapidjson::MemoryPoolAllocator<>;
using PooledDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;

constexpr std::array<std::string_view, kEventTypeCount> kNames{
    "governance.request.blocked",
    "governance.request.warned",
    "governance.request.rewritten",
    "governance.request.allowed",
};

// A document parsed in place in a copy of its text (strings point into the copy, nothing else
// is copied), with the DOM and the parser's stack in an arena inside this object: a document
// of usual size costs one allocation, the copy. Larger ones spill into the pool's own chunks.
class ParsedDocument {
 public:
  explicit ParsedDocument(std::string_view json) : copy_(json) {
    doc_.ParseInsitu(copy_.data());
    // In place, parsing stops at a NUL byte, which no valid document holds.
    valid_ = !doc_.HasParseError() && doc_.IsObject() && json.find('\0') == std::string_view::npos;
  }
  ParsedDocument(const ParsedDocument&) = delete;
  ParsedDocument& operator=(const ParsedDocument&) = delete;

  bool valid() const { return valid_; }
  const rapidjson::Value& root() const { return doc_; }

 private:
  static constexpr size_t kArenaBytes = 16 * 1024;
  alignas(std::max_align_t) char arena_[kArenaBytes];
  std::string copy_;
  Pool pool_{arena_, kArenaBytes};
  PooledDocument doc_{&pool_, 1024, &pool_};
  bool valid_ = false;
};

// Writes straight into a std::string (rapidjson's StringBuffer would be one more copy).
struct StringOutput {
  using Ch = char;
  std::string& out;
  void Put(char c) { out.push_back(c); }
  void Flush() {}
};
using Writer = rapidjson::Writer<StringOutput>;

rapidjson::Value name_ref(std::string_view name) {
  return rapidjson::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size())));
}

// The member at `path` ("a.b.c"), as nested objects or as a member whose name holds dots
// ({"a.b": {"c": 1}}, as a passed-through document may have); null if absent or JSON null.
const rapidjson::Value* find_path(const rapidjson::Value& object, std::string_view path) {
  if (!object.IsObject()) return nullptr;
  if (auto whole = object.FindMember(name_ref(path)); whole != object.MemberEnd()) {
    return whole->value.IsNull() ? nullptr : &whole->value;
  }
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    auto head = object.FindMember(name_ref(path.substr(0, dot)));
    if (head == object.MemberEnd()) continue;
    if (const rapidjson::Value* found = find_path(head->value, path.substr(dot + 1))) return found;
  }
  return nullptr;
}

void note(std::string_view value, EventTypeValues& values) {
  if (value == "allowed") values.allowed = true;
  if (value == "denied") values.denied = true;
  if (value == "info") values.info = true;
  if (value == "change") values.change = true;
}

std::optional<EventType> event_type_in(const rapidjson::Value& root) {
  const rapidjson::Value* type = find_path(root, "event.type");
  if (type == nullptr) return std::nullopt;
  EventTypeValues values;
  // ECS keyword fields may hold one value or an array of them.
  if (type->IsString()) note({type->GetString(), type->GetStringLength()}, values);
  if (type->IsArray()) {
    for (const rapidjson::Value& item : type->GetArray()) {
      if (item.IsString()) note({item.GetString(), item.GetStringLength()}, values);
    }
  }
  return event_type_from(values);
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
  ParsedDocument doc(document);
  if (!doc.valid()) return std::nullopt;
  return event_type_in(doc.root());
}

std::string event_id(std::string_view record_id) {
  std::string id = "evt_";
  id.append(record_id);
  return id;
}

bool append_envelope(std::string_view record_id, std::string_view document, std::string& out) {
  ParsedDocument doc(document);
  if (!doc.valid()) return false;
  const rapidjson::Value& root = doc.root();
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
  if (auto ts = root.FindMember("@timestamp"); ts != root.MemberEnd() && !ts->value.IsNull()) {
    writer.Key("timestamp");
    ts->value.Accept(writer);
  }
  writer.Key("data");
  writer.StartObject();
  for (const DataField& field : kDataFields) {
    const rapidjson::Value* value = find_path(root, field.path);
    if (value == nullptr && field.name == "violations") {
      value = find_path(root, "policy.triggered_categories");
    }
    if (value == nullptr) continue;
    writer.Key(field.name.data(), static_cast<rapidjson::SizeType>(field.name.size()));
    value->Accept(writer);
  }
  writer.EndObject();
  writer.EndObject();
  return true;
}

}  // namespace auditrelay::webhook
