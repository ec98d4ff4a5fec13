#include "agent/normalize/field_checks.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

namespace auditrelay::normalize {
namespace {

std::string field_prefix(std::string_view field) {
  std::string out = "field '";
  out.append(field);
  out.append("' ");
  return out;
}

bool is_absent(const rapidjson::Value* v) {
  return v == nullptr || v->IsNull();
}

}  // namespace

std::string quoted(std::string_view value) {
  constexpr size_t kMaxQuotedValue = 64;  // keeps dead-letter messages short
  std::string out = "\"";
  out.append(value.substr(0, kMaxQuotedValue));
  if (value.size() > kMaxQuotedValue) out.append("...");
  out.push_back('"');
  return out;
}

std::string_view json_type_name(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "boolean";
    case rapidjson::kObjectType:
      return "object";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kNumberType:
      return "number";
  }
  return "unknown";
}

Rejection missing_field(std::string_view field) {
  return {RejectReason::kMissingField, "missing required field '" + std::string(field) + "'"};
}

Rejection wrong_type(std::string_view field, std::string_view expected,
                     const rapidjson::Value& got) {
  std::string message = field_prefix(field);
  message.append("must be ").append(expected).append(", got ").append(json_type_name(got));
  return {RejectReason::kWrongType, std::move(message)};
}

Rejection invalid_value(std::string_view field, std::string_view why) {
  return {RejectReason::kInvalidValue, field_prefix(field).append(why)};
}

Rejection invalid_timestamp(std::string_view field, std::string_view value) {
  return {RejectReason::kInvalidTimestamp,
          field_prefix(field).append("is not an RFC 3339 timestamp: ").append(quoted(value))};
}

std::optional<Rejection> collect_fields(const rapidjson::Value& record,
                                        std::span<const std::string_view> names,
                                        std::span<const rapidjson::Value*> slots,
                                        std::vector<const Member*>& unmapped) {
  for (const rapidjson::Value*& slot : slots)
    slot = nullptr;
  unmapped.clear();
  for (const Member& member : record.GetObject()) {
    const std::string_view key = string_of(member.name);
    size_t i = 0;
    // Size and first byte rule out almost every name before a memcmp call.
    while (i < names.size() &&
           (names[i].size() != key.size() || names[i][0] != key[0] || names[i] != key)) {
      ++i;
    }
    if (i == names.size()) {
      unmapped.push_back(&member);
    } else if (slots[i] != nullptr) {
      return Rejection{RejectReason::kInvalidJson, "duplicate field '" + std::string(key) + "'"};
    } else {
      slots[i] = &member.value;
    }
  }
  return std::nullopt;
}

std::optional<Rejection> check_string(std::string_view field, const rapidjson::Value*& slot) {
  if (is_absent(slot)) {
    slot = nullptr;
    return std::nullopt;
  }
  if (!slot->IsString()) return wrong_type(field, "a string", *slot);
  return std::nullopt;
}

std::optional<Rejection> check_boolean(std::string_view field, const rapidjson::Value*& slot) {
  if (is_absent(slot)) {
    slot = nullptr;
    return std::nullopt;
  }
  if (!slot->IsBool()) return wrong_type(field, "a boolean", *slot);
  return std::nullopt;
}

std::optional<Rejection> check_string_array(std::string_view field, const rapidjson::Value*& slot) {
  if (is_absent(slot)) {
    slot = nullptr;
    return std::nullopt;
  }
  if (!slot->IsArray()) return wrong_type(field, "an array of strings", *slot);
  for (const rapidjson::Value& element : slot->GetArray()) {
    if (!element.IsString()) {
      std::string message = field_prefix(field);
      message.append("must be an array of strings, got an array with a ")
          .append(json_type_name(element))
          .append(" element");
      return Rejection{RejectReason::kWrongType, std::move(message)};
    }
  }
  return std::nullopt;
}

std::optional<Rejection> check_string_or_string_array(std::string_view field,
                                                      const rapidjson::Value*& slot) {
  if (slot != nullptr && slot->IsString()) return std::nullopt;
  if (slot != nullptr && !slot->IsNull() && !slot->IsArray()) {
    return wrong_type(field, "a string or an array of strings", *slot);
  }
  return check_string_array(field, slot);
}

bool is_ip_address(const rapidjson::Value& v) {
  // inet_pton wants a C string; the longest textual IPv6 address (with an embedded IPv4 tail)
  // has 45 characters, so anything longer is not one.
  char text[INET6_ADDRSTRLEN];
  const std::string_view s = string_of(v);
  if (s.empty() || s.size() >= sizeof text || s.find('\0') != std::string_view::npos) {
    return false;
  }
  std::memcpy(text, s.data(), s.size());
  text[s.size()] = '\0';
  unsigned char address[16];
  return inet_pton(AF_INET, text, address) == 1 || inet_pton(AF_INET6, text, address) == 1;
}

}  // namespace auditrelay::normalize
