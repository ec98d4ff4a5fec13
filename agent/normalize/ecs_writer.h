// Writing the output document straight to a byte buffer with rapidjson::Writer (no output
// DOM), plus the parts every schema shares: @timestamp, data_stream, service and the fixed
// event fields.
#pragma once

#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "agent/normalize/event_type.h"
#include "agent/normalize/normalizer.h"
#include "agent/normalize/output_buffer.h"
#include "agent/normalize/timestamp.h"

namespace auditrelay::normalize {

// rapidjson's Writer, plus two ways to write text that needs no escaping with one memcpy
// instead of rapidjson's byte-by-byte loops. The separators (',' / ':') are placed by the
// writer's own Prefix(), as PrettyWriter does, so its state stays right.
class JsonWriter : public rapidjson::Writer<OutputBuffer> {
 public:
  using rapidjson::Writer<OutputBuffer>::Writer;

  // A string (or key) known to hold no byte that JSON escapes.
  void PlainString(std::string_view s) {
    Prefix(rapidjson::kStringType);
    char* p = os_->Push(s.size() + 2);
    p[0] = '"';
    std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    EndValue(true);
  }
  // Pre-rendered, valid JSON text of one value of `type`.
  void PlainRawValue(std::string_view json, rapidjson::Type type) {
    Prefix(type);
    std::memcpy(os_->Push(json.size()), json.data(), json.size());
    EndValue(true);
  }
};

// True when `s` holds a byte JSON requires escaped: '"', '\\' or a control byte. Eight bytes
// at a time ("has a byte less than n" / "has a zero byte" tests of
// https://graphics.stanford.edu/~seander/bithacks.html#HasLessInWord).
inline bool needs_json_escape(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, sizeof word);
    const uint64_t quote = word ^ (kOnes * '"');
    const uint64_t backslash = word ^ (kOnes * '\\');
    if ((((word - kOnes * 0x20) & ~word) | ((quote - kOnes) & ~quote) |
         ((backslash - kOnes) & ~backslash)) &
        kHighBits) {
      return true;
    }
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') return true;
  }
  return false;
}

// Writes `s` as a JSON string, exactly as rapidjson's Writer would; most strings need no
// escape and take the one-copy path.
inline void write_string(JsonWriter& w, std::string_view s) {
  if (needs_json_escape(s)) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  } else {
    w.PlainString(s);
  }
}

// A key is written like a string (rapidjson's Key() is String()).
inline void write_key(JsonWriter& w, std::string_view key) {
  write_string(w, key);
}

// String literals of this code (keys like "event", values like "allowed") never need an
// escape, so they skip the check.
template <size_t N>
inline void write_string(JsonWriter& w, const char (&literal)[N]) {
  assert(!needs_json_escape({literal, N - 1}));
  w.PlainString({literal, N - 1});
}
template <size_t N>
inline void write_key(JsonWriter& w, const char (&literal)[N]) {
  write_string(w, literal);
}

inline void write_member(JsonWriter& w, std::string_view key, std::string_view value) {
  write_key(w, key);
  write_string(w, value);
}
template <size_t N>
inline void write_member(JsonWriter& w, const char (&key)[N], std::string_view value) {
  write_key(w, key);
  write_string(w, value);
}
template <size_t N, size_t M>
inline void write_member(JsonWriter& w, const char (&key)[N], const char (&value)[M]) {
  write_key(w, key);
  write_string(w, value);
}

// Copies `value` unchanged. Recursive, but the reader has bounded the nesting.
inline void write_value(JsonWriter& w, const simdjson::dom::element& value) {
  using Type = simdjson::dom::element_type;
  switch (value.type()) {
    case Type::STRING:
      write_string(w, value.get_string().value_unsafe());
      return;
    case Type::ARRAY: {
      w.StartArray();
      const simdjson::dom::array array = value.get_array().value_unsafe();
      for (const simdjson::dom::element item : array)
        write_value(w, item);
      w.EndArray();
      return;
    }
    case Type::OBJECT: {
      w.StartObject();
      const simdjson::dom::object object = value.get_object().value_unsafe();
      for (const simdjson::dom::key_value_pair member : object) {
        write_key(w, member.key);
        write_value(w, member.value);
      }
      w.EndObject();
      return;
    }
    case Type::INT64:
      w.Int64(value.get_int64().value_unsafe());
      return;
    case Type::UINT64:
      w.Uint64(value.get_uint64().value_unsafe());
      return;
    case Type::DOUBLE:
      w.Double(value.get_double().value_unsafe());
      return;
    case Type::BOOL:
      w.Bool(value.get_bool().value_unsafe());
      return;
    case Type::NULL_VALUE:
      w.Null();
      return;
  }
}

inline void write_member(JsonWriter& w, std::string_view key, const simdjson::dom::element& value) {
  write_key(w, key);
  write_value(w, value);
}
template <size_t N>
inline void write_member(JsonWriter& w, const char (&key)[N], const simdjson::dom::element& value) {
  write_key(w, key);
  write_value(w, value);
}

// The values that depend on the options alone, rendered once as JSON text.
struct ConstantFields {
  explicit ConstantFields(const NormalizeOptions& options);
  std::string data_stream;  // {"type":"logs","dataset":...,"namespace":...}
  std::string service;      // {"name":...}
  std::string dataset;      // the dataset as a JSON string, for event.dataset
};

// "@timestamp", "data_stream" and "service": the head of every normalized document.
void write_document_head(JsonWriter& w, const UtcTimestamp& timestamp,
                         const ConstantFields& constants);

// The first members of the "event" object: dataset, kind and category.
void write_event_head(JsonWriter& w, const ConstantFields& constants);

// event.type and event.outcome.
void write_event_type(JsonWriter& w, const EventType& type);

}  // namespace auditrelay::normalize
