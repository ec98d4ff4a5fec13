#include "agent/normalize/field_checks.h"

#include <arpa/inet.h>

#include <cstdint>
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

bool is_absent(const Slot& v) {
  return !v || v->is_null();
}

// a == b for two strings of the same size, 8 bytes at a time (the last 8 overlapping bytes
// already compared) rather than a memcmp call: field names are a few words long.
bool same_bytes(const char* a, const char* b, size_t n) {
  if (n < 8) return std::memcmp(a, b, n) == 0;
  auto word = [](const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  for (size_t i = 0; i + 8 < n; i += 8) {
    if (word(a + i) != word(b + i)) return false;
  }
  return word(a + n - 8) == word(b + n - 8);
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

std::string_view json_type_name(const Json& v) {
  using Type = simdjson::dom::element_type;
  switch (v.type()) {
    case Type::NULL_VALUE:
      return "null";
    case Type::BOOL:
      return "boolean";
    case Type::OBJECT:
      return "object";
    case Type::ARRAY:
      return "array";
    case Type::STRING:
      return "string";
    case Type::INT64:
    case Type::UINT64:
    case Type::DOUBLE:
      return "number";
  }
  return "unknown";
}

Rejection missing_field(std::string_view field) {
  return {RejectReason::kMissingField, "missing required field '" + std::string(field) + "'"};
}

Rejection wrong_type(std::string_view field, std::string_view expected, const Json& got) {
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

std::optional<Rejection> collect_fields(const Json& record, std::span<const std::string_view> names,
                                        std::span<Slot> slots, std::vector<Member>& unmapped) {
  for (Slot& slot : slots)
    slot.reset();
  unmapped.clear();
  // Producers write their fields in one order, usually the order of `names`: the search starts
  // at the name after the last one found, so a record in that order costs one comparison a key.
  size_t next = 0;
  // An iterator's key() and value() rather than its key_value_pair: a matched field's value
  // then goes to its slot in registers, not through a copy of the pair on the stack, which the
  // CPU could not forward (a store-forwarding stall, most of this function's time).
  const simdjson::dom::object object = object_of(record);
  for (auto member = object.begin(); member != object.end(); ++member) {
    const std::string_view key = member.key();
    size_t i = next;
    size_t tried = 0;
    // Size and first byte rule out almost every name before its bytes are compared.
    while (tried < names.size() && (names[i].size() != key.size() || names[i][0] != key[0] ||
                                    !same_bytes(names[i].data(), key.data(), key.size()))) {
      i = i + 1 == names.size() ? 0 : i + 1;
      ++tried;
    }
    if (tried == names.size()) {
      unmapped.push_back(*member);
    } else if (slots[i]) {
      return Rejection{RejectReason::kInvalidJson, "duplicate field '" + std::string(key) + "'"};
    } else {
      slots[i] = member.value();
      next = i + 1 == names.size() ? 0 : i + 1;
    }
  }
  return std::nullopt;
}

std::optional<Rejection> check_string(std::string_view field, Slot& slot) {
  if (is_absent(slot)) {
    slot.reset();
    return std::nullopt;
  }
  if (!slot->is_string()) return wrong_type(field, "a string", *slot);
  return std::nullopt;
}

std::optional<Rejection> check_boolean(std::string_view field, Slot& slot) {
  if (is_absent(slot)) {
    slot.reset();
    return std::nullopt;
  }
  if (!slot->is_bool()) return wrong_type(field, "a boolean", *slot);
  return std::nullopt;
}

std::optional<Rejection> check_string_array(std::string_view field, Slot& slot) {
  if (is_absent(slot)) {
    slot.reset();
    return std::nullopt;
  }
  if (!slot->is_array()) return wrong_type(field, "an array of strings", *slot);
  for (const Json element : array_of(*slot)) {
    if (!element.is_string()) {
      std::string message = field_prefix(field);
      message.append("must be an array of strings, got an array with a ")
          .append(json_type_name(element))
          .append(" element");
      return Rejection{RejectReason::kWrongType, std::move(message)};
    }
  }
  return std::nullopt;
}

std::optional<Rejection> check_string_or_string_array(std::string_view field, Slot& slot) {
  if (slot && slot->is_string()) return std::nullopt;
  if (slot && !slot->is_null() && !slot->is_array()) {
    return wrong_type(field, "a string or an array of strings", *slot);
  }
  return check_string_array(field, slot);
}

bool is_ip_address(const Json& v) {
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
