// Writes a JSON response into a std::string, applying Elasticsearch's `filter_path` as the
// events stream by: only matching leaves and their ancestors are written, and objects or
// arrays left empty disappear, as in
// https://www.elastic.co/guide/en/elasticsearch/reference/current/common-options.html#common-options-response-filtering
#pragma once

#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::fakes::es {

// Whether `text` matches `pattern`, where '*' matches any run of characters.
bool wildcard_match(std::string_view pattern, std::string_view text);

// rapidjson output stream appending to a std::string.
struct StringOutput {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

}  // namespace auditrelay::fakes::es

namespace rapidjson {
// Copies each run of characters that need no escaping in one append rather than one Put()
// per character (rapidjson does the same for its own StringBuffer): most of a bulk
// response is such strings.
template <>
inline bool Writer<auditrelay::fakes::es::StringOutput>::ScanWriteUnescapedString(StringStream& is,
                                                                                  size_t length) {
  const char* run = is.src_;
  const char* end = is.head_ + length;
  const char* p = run;
  while (p != end) {
    auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == '"' || c == '\\') break;
    ++p;
  }
  os_->out->append(run, static_cast<size_t>(p - run));
  is.src_ = p;
  return p != end;
}
// And a raw value (the bulk items written once per request, stored documents) in one append.
template <>
inline bool Writer<auditrelay::fakes::es::StringOutput>::WriteRawValue(const Ch* json,
                                                                       size_t length) {
  os_->out->append(json, length);
  return true;
}
}  // namespace rapidjson

namespace auditrelay::fakes::es {

// Compiled filter_path patterns: comma-separated, '.'-separated segments where '*' matches
// within a segment and "**" matches any number of segments. Arrays add no segment.
class FilterPath {
 public:
  FilterPath() = default;
  explicit FilterPath(std::string_view spec);
  bool empty() const { return patterns_.empty(); }

  // A match state is (pattern index << 16 | segment index). Appends to `next` the states
  // reached from `states` through `key`; returns whether some pattern is fully matched.
  bool advance(const std::vector<uint32_t>& states, std::string_view key,
               std::vector<uint32_t>& next) const;
  // The states at the root; returns whether a pattern matches everything ("**").
  bool initial(std::vector<uint32_t>& states) const;

 private:
  // A segment, classified once: most are a plain name or a lone '*', which need no
  // wildcard matching (the fake's responses to every _bulk request go through here).
  struct Segment {
    enum class Kind { kName, kAnyKey, kAnyPath, kWildcard };  // "x", "*", "**", "x*y"
    Kind kind;
    std::string text;
    bool matches(std::string_view key) const {
      switch (kind) {
        case Kind::kName:
          return key == text;
        case Kind::kAnyKey:
          return true;
        case Kind::kAnyPath:
        case Kind::kWildcard:
          break;
      }
      return wildcard_match(text, key);
    }
  };
  bool add(uint32_t pattern, uint32_t segment, std::vector<uint32_t>& next) const;
  std::vector<std::vector<Segment>> patterns_;
};

class JsonOut {
 public:
  // Appends to `out`; `filter` (may be empty) must outlive this.
  JsonOut(std::string& out, const FilterPath& filter);

  void StartObject();
  void EndObject();
  void StartArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int64(int64_t value);
  void Uint64(uint64_t value);
  void Bool(bool value);
  void Null();
  void Double(double value);
  // An already serialized JSON value (a stored document, say), written as is.
  void Raw(std::string_view json);
  // An array element already filtered for this very position (written through the same
  // filter in a JsonOut of its own), written as is; "" (nothing kept of it) writes nothing.
  void FilteredElement(std::string_view json);

  // Key + value shorthands.
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, const char* value) { Field(key, std::string_view(value)); }
  void Field(std::string_view key, int64_t value) {
    Key(key);
    Int64(value);
  }
  void Field(std::string_view key, int value) { Field(key, static_cast<int64_t>(value)); }
  void Field(std::string_view key, uint64_t value) {
    Key(key);
    Uint64(value);
  }
  void Field(std::string_view key, bool value) {
    Key(key);
    Bool(value);
  }

 private:
  struct Frame {
    bool object = false;
    bool included = false;  // the whole subtree matched
    bool emitted = false;   // its Start* has been written
    std::string key;        // its key in the parent object, until emitted
    std::vector<uint32_t> states;
  };
  void emit_ancestors();
  void start(bool object);
  void end();

  // Decides, for a value about to be written, whether it is; writes its pending key.
  bool begin_value();

  StringOutput output_;
  rapidjson::Writer<StringOutput> writer_;
  const FilterPath& filter_;
  bool passthrough_;
  bool root_included_ = false;
  std::vector<Frame> stack_;  // frames are reused, so their vectors keep their capacity
  size_t depth_ = 0;
  std::string key_;  // the pending key of a not yet emitted object
  bool key_full_ = false;
  std::vector<uint32_t> key_states_;
  std::vector<uint32_t> root_states_;
};

}  // namespace auditrelay::fakes::es
