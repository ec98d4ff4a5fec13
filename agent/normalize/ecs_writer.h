// Writing the output document straight to a byte buffer (no output DOM), plus the parts every
// schema shares: @timestamp, data_stream, service and the fixed event fields.
#pragma once

#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cassert>
#include <charconv>
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

// memcpy for the short runs a document is made of (keys, most values): up to 16 bytes with
// two overlapping fixed-size copies, which the compiler inlines, rather than a library call.
inline void copy_short(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t head, tail;
    std::memcpy(&head, src, 8);
    std::memcpy(&tail, src + n - 8, 8);
    std::memcpy(dst, &head, 8);
    std::memcpy(dst + n - 8, &tail, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t head, tail;
    std::memcpy(&head, src, 4);
    std::memcpy(&tail, src + n - 4, 4);
    std::memcpy(dst, &head, 4);
    std::memcpy(dst + n - 4, &tail, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i)
      dst[i] = src[i];
  } else {
    std::memcpy(dst, src, n);
  }
}

// Writes one JSON document straight into a byte buffer. The normalizers write well-formed
// documents by construction, so, unlike rapidjson's Writer, it keeps no stack of levels: one
// flag says whether the next key or value needs a comma. Method names follow rapidjson's
// Writer. Strings that need an escape, and doubles, are written by rapidjson itself.
class JsonWriter {
 public:
  explicit JsonWriter(OutputBuffer& out) : out_(&out) {}

  void Reset(OutputBuffer& out) {
    out_ = &out;
    comma_ = false;
    record_strings_plain_ = false;
  }

  // Set when no string parsed from the record being written needs an escape, so that
  // write_value() and write_record_member() skip the check. That holds when the record's text
  // has no backslash: a JSON string can then hold no '"' or '\\', and simdjson refuses one
  // holding a raw control byte (UNESCAPED_CHARS).
  void SetRecordStringsPlain(bool plain) { record_strings_plain_ = plain; }
  bool RecordStringsPlain() const { return record_strings_plain_; }

  void StartObject() { open('{'); }
  void EndObject() { close('}'); }
  void StartArray() { open('['); }
  void EndArray() { close(']'); }

  // A key, or a string value, known to hold no byte that JSON escapes.
  void PlainKey(std::string_view key) {
    char* p = plain(key);
    *p++ = ':';
    pop_unused(p);
    comma_ = false;
  }
  void PlainString(std::string_view s) {
    pop_unused(plain(s));
    comma_ = true;
  }
  // A key (is_key) or string value that needs escaping, as rapidjson escapes it.
  void EscapedString(std::string_view s, bool is_key) {
    if (comma_) *push(1) = ',';
    rapidjson::Writer<OutputBuffer>(*out_).String(s.data(),
                                                  static_cast<rapidjson::SizeType>(s.size()));
    if (is_key) *push(1) = ':';
    comma_ = !is_key;
  }
  // Pre-rendered, valid JSON text of one value.
  void RawValue(std::string_view json) {
    char* p = push(json.size() + 1);
    if (comma_) *p++ = ',';
    std::memcpy(p, json.data(), json.size());
    pop_unused(p + json.size());
    comma_ = true;
  }
  // Pre-rendered, valid JSON text of one or more members of the current object
  // (`"a":1,"b":[2]`): a run of fields that only depend on the options, written in one copy.
  void RawMembers(std::string_view json) { RawValue(json); }
  void Bool(bool b) { RawValue(b ? std::string_view("true") : std::string_view("false")); }
  void Null() { RawValue("null"); }
  template <typename Int>
  void Integer(Int i) {
    char text[24];
    RawValue({text, static_cast<size_t>(std::to_chars(text, text + sizeof text, i).ptr - text)});
  }
  void Double(double d) {
    if (comma_) *push(1) = ',';
    rapidjson::Writer<OutputBuffer>(*out_).Double(d);  // shortest form that reads back exactly
    comma_ = true;
  }

 private:
  // Room for n bytes at the end; pop_unused() gives back what was not written.
  char* push(size_t n) {
    char* p = out_->Push(n);
    top_ = p + n;
    return p;
  }
  void pop_unused(const char* end) { out_->Pop(static_cast<size_t>(top_ - end)); }
  // Writes the separator and `s` in quotes, with room for one more byte; returns the end.
  char* plain(std::string_view s) {
    char* p = push(s.size() + 4);
    if (comma_) *p++ = ',';
    *p++ = '"';
    copy_short(p, s.data(), s.size());
    p[s.size()] = '"';
    return p + s.size() + 1;
  }
  void open(char bracket) {
    char* p = push(2);
    if (comma_) *p++ = ',';
    *p++ = bracket;
    pop_unused(p);
    comma_ = false;
  }
  void close(char bracket) {
    *push(1) = bracket;
    comma_ = true;
  }

  OutputBuffer* out_;
  char* top_ = nullptr;  // the end of the last push()
  bool comma_ = false;
  bool record_strings_plain_ = false;
};

// True when one of the 8 bytes of `word` is one JSON requires escaped: '"', '\\' or a control
// byte ("has a byte less than n" / "has a zero byte" tests of
// https://graphics.stanford.edu/~seander/bithacks.html#HasLessInWord).
inline bool word_needs_json_escape(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  const uint64_t quote = word ^ (kOnes * '"');
  const uint64_t backslash = word ^ (kOnes * '\\');
  return ((((word - kOnes * 0x20) & ~word) | ((quote - kOnes) & ~quote) |
           ((backslash - kOnes) & ~backslash)) &
          kHighBits) != 0;
}

// True when `s` holds a byte JSON requires escaped, eight bytes at a time; shorter strings in
// one word too.
inline bool needs_json_escape(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  if (n >= 8) {
    uint64_t word;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::memcpy(&word, p + i, 8);
      if (word_needs_json_escape(word)) return true;
    }
    if (i == n) return false;
    std::memcpy(&word, p + n - 8, 8);  // the last 8 bytes, overlapping bytes already checked
    return word_needs_json_escape(word);
  }
  if (n >= 4) {  // the first and the last 4 bytes, which overlap
    uint32_t head, tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    return word_needs_json_escape(uint64_t{head} | uint64_t{tail} << 32);
  }
  if (n == 0) return false;
  // 1 to 3 bytes: the first, the middle and the last are all of them; spaces fill the word.
  auto byte = [&](size_t i) { return uint64_t{static_cast<unsigned char>(p[i])}; };
  return word_needs_json_escape(0x2020202020000000ULL | byte(0) | byte(n / 2) << 8 |
                                byte(n - 1) << 16);
}

// Writes `s` as a JSON string, exactly as rapidjson's Writer would; most strings need no
// escape and take the one-copy path.
inline void write_string(JsonWriter& w, std::string_view s) {
  if (needs_json_escape(s)) {
    w.EscapedString(s, false);
  } else {
    w.PlainString(s);
  }
}

inline void write_key(JsonWriter& w, std::string_view key) {
  if (needs_json_escape(key)) {
    w.EscapedString(key, true);
  } else {
    w.PlainKey(key);
  }
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
  assert(!needs_json_escape({literal, N - 1}));
  w.PlainKey({literal, N - 1});
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

// Copies an array or object unchanged. Recursive, but the reader has bounded the nesting.
void write_container(JsonWriter& w, const simdjson::dom::element& value);

// A key or string value parsed from the record being written: checked for escapes unless the
// writer knows that none of the record's strings needs one.
inline void write_record_string(JsonWriter& w, std::string_view s, bool is_key) {
  if (w.RecordStringsPlain() || !needs_json_escape(s)) {
    if (is_key) {
      w.PlainKey(s);
    } else {
      w.PlainString(s);
    }
  } else {
    w.EscapedString(s, is_key);
  }
}

// Copies `value`, a value of the record being written, unchanged. Scalars here, containers out
// of line, so that the common case (a string) is a small function.
inline void write_value(JsonWriter& w, const simdjson::dom::element& value) {
  using Type = simdjson::dom::element_type;
  switch (value.type()) {
    case Type::STRING:
      write_record_string(w, value.get_string().value_unsafe(), false);
      return;
    case Type::ARRAY:
    case Type::OBJECT:
      write_container(w, value);
      return;
    case Type::INT64:
      w.Integer(value.get_int64().value_unsafe());
      return;
    case Type::UINT64:
      w.Integer(value.get_uint64().value_unsafe());
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
// A member of the record being written, copied unchanged.
inline void write_record_member(JsonWriter& w, const simdjson::dom::key_value_pair& member) {
  write_record_string(w, member.key, true);
  write_value(w, member.value);
}
template <size_t N>
inline void write_member(JsonWriter& w, const char (&key)[N], const simdjson::dom::element& value) {
  write_key(w, key);
  write_value(w, value);
}

// The values that depend on the options alone, rendered once as JSON text.
struct ConstantFields {
  explicit ConstantFields(const NormalizeOptions& options);
  std::string head;        // "data_stream":{"type":"logs",...},"service":{"name":...}
  std::string event_head;  // "dataset":...,"kind":"event","category":["api"]
};

// "@timestamp", "data_stream" and "service": the head of every normalized document.
void write_document_head(JsonWriter& w, const UtcTimestamp& timestamp,
                         const ConstantFields& constants);

// The first members of the "event" object: dataset, kind and category.
void write_event_head(JsonWriter& w, const ConstantFields& constants);

// event.type and event.outcome.
void write_event_type(JsonWriter& w, const EventType& type);

}  // namespace auditrelay::normalize
