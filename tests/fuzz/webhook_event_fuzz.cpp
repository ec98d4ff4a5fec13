// Fuzzes the webhook output's reading of a document: event_type_of (the On-Demand lookup of
// event.type, its fallback to the full parse for dotted and escaped names) as wants() calls it
// on every document, and append_envelope as encode() calls it on the wanted ones. Whatever the
// bytes, neither may crash. When the document is valid JSON holding no name twice in an
// object, the type must be the one a plain reading with rapidjson gives (event → type, else a
// member named "event.type"; null counts as absent); and whenever an envelope is made, it must
// be a valid JSON object of that type.
#include <rapidjson/document.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "plugins/out_webhook/webhook_event.h"

namespace {

using auditrelay::webhook::EventType;
using auditrelay::webhook::EventTypeValues;

bool has_duplicate_names(const rapidjson::Value& value) {
  if (value.IsArray()) {
    for (const auto& item : value.GetArray()) {
      if (has_duplicate_names(item)) return true;
    }
  }
  if (!value.IsObject()) return false;
  std::set<std::string> names;
  for (const auto& member : value.GetObject()) {
    if (!names.emplace(member.name.GetString(), member.name.GetStringLength()).second) return true;
    if (has_duplicate_names(member.value)) return true;
  }
  return false;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::optional<EventType> reference_type(const rapidjson::Value& root) {
  const rapidjson::Value* type = nullptr;
  if (const rapidjson::Value* event = member(root, "event"); event && event->IsObject())
    type = member(*event, "type");
  if (type == nullptr) type = member(root, "event.type");
  if (type == nullptr) return std::nullopt;
  EventTypeValues values;
  auto note = [&values](const rapidjson::Value& v) {
    if (!v.IsString()) return;
    const std::string_view text(v.GetString(), v.GetStringLength());
    values.allowed |= text == "allowed";
    values.denied |= text == "denied";
    values.info |= text == "info";
    values.change |= text == "change";
  };
  note(*type);
  if (type->IsArray()) {
    for (const auto& item : type->GetArray())
      note(item);
  }
  return auditrelay::webhook::event_type_from(values);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace auditrelay::webhook;
  const std::string_view document(reinterpret_cast<const char*>(data), size);
  const std::optional<EventType> type = event_type_of(document);

  static simdjson::dom::parser validator;
  simdjson::dom::element ignored;
  rapidjson::Document input;
  if (!validator.parse(document.data(), document.size()).get(ignored)) {
    input.Parse<rapidjson::kParseValidateEncodingFlag>(document.data(), document.size());
    if (!input.HasParseError() && input.IsObject() && !has_duplicate_names(input) &&
        reference_type(input) != type) {
      std::abort();
    }
  }

  std::string envelope;
  if (!append_envelope("record-id", document, envelope)) return 0;
  rapidjson::Document parsed;
  parsed.Parse(envelope.data(), envelope.size());
  if (parsed.HasParseError() || !parsed.IsObject() || !parsed.HasMember("type") ||
      !parsed["type"].IsString()) {
    std::abort();
  }
  const std::optional<EventType> enveloped = parse_event_type(
      std::string_view(parsed["type"].GetString(), parsed["type"].GetStringLength()));
  if (!type || enveloped != type) std::abort();
  return 0;
}
