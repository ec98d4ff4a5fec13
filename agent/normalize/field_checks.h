// Shared vocabulary of the schema normalizers: finding a record's known fields in one pass,
// checking their JSON types, and the rejections that name the offending field.
#pragma once

#include <simdjson.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/normalize/normalizer.h"

namespace auditrelay::normalize {

using Json = simdjson::dom::element;
using Member = simdjson::dom::key_value_pair;
// A known field of a record: empty when the record does not have it.
using Slot = std::optional<Json>;

// The text of a string value (the caller has checked that it is one).
inline std::string_view string_of(const Json& v) {
  return v.get_string().value_unsafe();
}
// The members or elements of an object or array (checked to be one), by value: a range-for
// over `v.get_object().value_unsafe()` would iterate a destroyed temporary.
inline simdjson::dom::object object_of(const Json& v) {
  return v.get_object().value_unsafe();
}
inline simdjson::dom::array array_of(const Json& v) {
  return v.get_array().value_unsafe();
}

// `value` in double quotes, cut at 64 bytes, for messages.
std::string quoted(std::string_view value);

// "null", "boolean", "number", "string", "array" or "object", for messages.
std::string_view json_type_name(const Json& v);

Rejection missing_field(std::string_view field);
// "field 'enforced' must be a boolean, got string"; `expected` reads "a boolean".
Rejection wrong_type(std::string_view field, std::string_view expected, const Json& got);
Rejection invalid_value(std::string_view field, std::string_view why);
Rejection invalid_timestamp(std::string_view field, std::string_view value);

// Sorts the members of `record` in one pass: slots[i] gets the value of names[i] (or stays
// empty), every other member is appended to `unmapped`. A known name given twice is rejected:
// which of the two values was meant is anyone's guess.
std::optional<Rejection> collect_fields(const Json& record, std::span<const std::string_view> names,
                                        std::span<Slot> slots, std::vector<Member>& unmapped);

// Type checks of one optional field. A JSON null means "absent": the check then clears
// `slot`, so nothing is written for it (policy.* included) and a required field reads as
// missing. Producers emit `"provider": null` for "not known", which is what absent means here.
std::optional<Rejection> check_string(std::string_view field, Slot& slot);
std::optional<Rejection> check_boolean(std::string_view field, Slot& slot);
std::optional<Rejection> check_string_array(std::string_view field, Slot& slot);
std::optional<Rejection> check_string_or_string_array(std::string_view field, Slot& slot);

// True when `v` is a string that inet_pton reads as an IPv4 or IPv6 address.
bool is_ip_address(const Json& v);

}  // namespace auditrelay::normalize
