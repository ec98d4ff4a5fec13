// Shared vocabulary of the schema normalizers: finding a record's known fields in one pass,
// checking their JSON types, and the rejections that name the offending field.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/normalize/normalizer.h"

namespace auditrelay::normalize {

using Member = rapidjson::Value::Member;

inline std::string_view string_of(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

// `value` in double quotes, cut at 64 bytes, for messages.
std::string quoted(std::string_view value);

// "null", "boolean", "number", "string", "array" or "object", for messages.
std::string_view json_type_name(const rapidjson::Value& v);

Rejection missing_field(std::string_view field);
// "field 'enforced' must be a boolean, got string"; `expected` reads "a boolean".
Rejection wrong_type(std::string_view field, std::string_view expected,
                     const rapidjson::Value& got);
Rejection invalid_value(std::string_view field, std::string_view why);
Rejection invalid_timestamp(std::string_view field, std::string_view value);

// Sorts the members of `record` in one pass: slots[i] gets the value of names[i] (or stays
// null), every other member is appended to `unmapped`. A known name given twice is rejected:
// which of the two values was meant is anyone's guess.
std::optional<Rejection> collect_fields(const rapidjson::Value& record,
                                        std::span<const std::string_view> names,
                                        std::span<const rapidjson::Value*> slots,
                                        std::vector<const Member*>& unmapped);

// Type checks of one optional field. A JSON null means "absent": the check then clears
// `slot`, so nothing is written for it (policy.* included) and a required field reads as
// missing. Producers emit `"provider": null` for "not known", which is what absent means here.
std::optional<Rejection> check_string(std::string_view field, const rapidjson::Value*& slot);
std::optional<Rejection> check_boolean(std::string_view field, const rapidjson::Value*& slot);
std::optional<Rejection> check_string_array(std::string_view field, const rapidjson::Value*& slot);
std::optional<Rejection> check_string_or_string_array(std::string_view field,
                                                      const rapidjson::Value*& slot);

// True when `v` is a string that inet_pton reads as an IPv4 or IPv6 address.
bool is_ip_address(const rapidjson::Value& v);

}  // namespace auditrelay::normalize
