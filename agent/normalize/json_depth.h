// A SAX handler in front of a rapidjson document that refuses nesting deeper than a limit, so
// a line of a million '[' costs a few bytes of parser stack instead of a huge DOM (and the
// recursive writer that later copies values verbatim stays shallow).
#pragma once

#include <rapidjson/document.h>

namespace auditrelay::normalize {

// Beyond this the limit is clamped: NormalizeOptions::max_depth also bounds the recursion of
// rapidjson's Value::Accept when values are copied to the output.
inline constexpr unsigned kDepthCeiling = 1024;

template <typename Document>
class DepthLimitedHandler {
 public:
  using Ch = typename Document::Ch;
  using SizeType = rapidjson::SizeType;

  DepthLimitedHandler(Document& document, unsigned max_depth)
      : document_(document), max_depth_(max_depth < kDepthCeiling ? max_depth : kDepthCeiling) {}

  // True when parsing stopped because the limit was crossed.
  bool exceeded() const { return exceeded_; }

  bool Null() { return document_.Null(); }
  bool Bool(bool b) { return document_.Bool(b); }
  bool Int(int i) { return document_.Int(i); }
  bool Uint(unsigned u) { return document_.Uint(u); }
  bool Int64(int64_t i) { return document_.Int64(i); }
  bool Uint64(uint64_t u) { return document_.Uint64(u); }
  bool Double(double d) { return document_.Double(d); }
  bool RawNumber(const Ch* s, SizeType n, bool copy) { return document_.RawNumber(s, n, copy); }
  bool String(const Ch* s, SizeType n, bool copy) { return document_.String(s, n, copy); }
  bool Key(const Ch* s, SizeType n, bool copy) { return document_.Key(s, n, copy); }
  bool StartObject() { return enter() && document_.StartObject(); }
  bool EndObject(SizeType members) {
    --depth_;
    return document_.EndObject(members);
  }
  bool StartArray() { return enter() && document_.StartArray(); }
  bool EndArray(SizeType elements) {
    --depth_;
    return document_.EndArray(elements);
  }

 private:
  bool enter() {
    if (depth_ >= max_depth_) {
      exceeded_ = true;
      return false;  // the reader stops with kParseErrorTermination
    }
    ++depth_;
    return true;
  }

  Document& document_;
  unsigned max_depth_;
  unsigned depth_ = 0;
  bool exceeded_ = false;
};

}  // namespace auditrelay::normalize
