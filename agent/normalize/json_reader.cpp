#include "agent/normalize/json_reader.h"

#include <rapidjson/encodings.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>

namespace auditrelay::normalize {
namespace {

bool is_blank(std::string_view raw) {
  return raw.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Validates like the DOM parse, keeping nothing, and stops once nesting passes `max_depth`
// (so its recursion stays shallow too).
class DepthCheck : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DepthCheck> {
 public:
  explicit DepthCheck(unsigned max_depth) : max_depth_(max_depth) {}
  bool exceeded() const { return exceeded_; }

  bool StartObject() { return enter(); }
  bool EndObject(rapidjson::SizeType) { return leave(); }
  bool StartArray() { return enter(); }
  bool EndArray(rapidjson::SizeType) { return leave(); }

 private:
  bool enter() {
    exceeded_ = depth_ >= max_depth_;
    ++depth_;
    return !exceeded_;  // false stops the reader with kParseErrorTermination
  }
  bool leave() {
    --depth_;
    return true;
  }

  unsigned max_depth_;
  unsigned depth_ = 0;
  bool exceeded_ = false;
};

std::string depth_message(unsigned depth) {
  return "nesting deeper than " + std::to_string(depth) + " levels";
}

}  // namespace

std::optional<Rejection> JsonReader::prepare(size_t size, unsigned depth) {
  const size_t capacity = std::max(size, kInitialCapacity);
  const bool shrink = parser_.capacity() > kRetainedBytes && size <= kRetainedBytes;
  if (parser_.capacity() < size || parser_.max_depth() != depth || shrink) {
    if (simdjson::error_code error = parser_.allocate(capacity, depth)) {
      return Rejection{RejectReason::kTooLarge, std::string("cannot parse a record this large: ") +
                                                    simdjson::error_message(error)};
    }
  }
  if (input_.capacity() > kRetainedBytes && size <= kRetainedBytes) std::string().swap(input_);
  return std::nullopt;
}

std::optional<Rejection> JsonReader::parse(std::string_view raw, unsigned max_depth,
                                           size_t readable_after) {
  if (is_blank(raw)) return Rejection{RejectReason::kEmpty, "record is empty or whitespace only"};
  const unsigned depth = std::min(max_depth, kDepthCeiling);
  if (auto rejection = prepare(raw.size(), depth)) return rejection;
  const char* text = raw.data();
  if (readable_after < simdjson::SIMDJSON_PADDING) {
    input_.assign(raw);
    input_.append(simdjson::SIMDJSON_PADDING, '\0');
    text = input_.data();
  }
  simdjson::error_code error = parser_.parse(text, raw.size(), false).get(root_);
  if (error) return explain_rejection(raw, depth, error);
  return std::nullopt;
}

Rejection explain_rejection(std::string_view raw, unsigned depth, simdjson::error_code code) {
  // JSON text cannot hold a raw NUL anywhere; said plainly rather than as a parse error. Looked
  // for only here, in records simdjson refused (a NUL is never valid to it): not in every record.
  if (size_t nul = raw.find('\0'); nul != std::string_view::npos) {
    return Rejection{RejectReason::kInvalidJson, "NUL byte at offset " + std::to_string(nul)};
  }
  // rapidjson's string stream reads up to a NUL (raw holds none). Its UTF-8 validation (1.1.0)
  // takes the up to 3 continuation bytes a lead byte announces without looking for that end,
  // so a record ending inside a multi-byte character would be read past: the padding NULs
  // end such a character as invalid instead.
  std::string text(raw);
  text.append(3, '\0');
  DepthCheck handler(depth);
  rapidjson::StringStream stream(text.c_str());
  rapidjson::Reader reader;
  // Numbers are validated either way; their values are not used. (kParseFullPrecisionFlag,
  // which changes only the values, also reaches undefined behaviour in rapidjson 1.1.0 for a
  // zero with a large exponent, such as 0e40: clz(0) in DiyFp::Normalize.)
  constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag;
  const rapidjson::ParseResult result = reader.Parse<kFlags>(stream, handler);
  const std::string at = " at offset " + std::to_string(result.Offset());
  if (handler.exceeded()) return {RejectReason::kTooDeep, depth_message(depth) + at};
  if (result.IsError()) {
    switch (result.Code()) {
      case rapidjson::kParseErrorStringInvalidEncoding:
        return {RejectReason::kInvalidUtf8, "invalid UTF-8 in a string" + at};
      case rapidjson::kParseErrorDocumentEmpty:
        return {RejectReason::kEmpty, "record is empty"};
      default:
        return {RejectReason::kInvalidJson,
                std::string(rapidjson::GetParseError_En(result.Code())) + at};
    }
  }
  // What rapidjson lets through but simdjson, rightly, does not.
  switch (code) {
    case simdjson::STRING_ERROR:  // "\udc00": a lone low surrogate, not a character
      return {RejectReason::kInvalidUtf8, "a \\u escape encodes a lone surrogate"};
    case simdjson::NUMBER_ERROR:
      return {RejectReason::kInvalidJson, "a number does not fit a 64-bit integer or a double"};
    case simdjson::DEPTH_ERROR:
      return {RejectReason::kTooDeep, depth_message(depth)};
    case simdjson::UTF8_ERROR:
      return {RejectReason::kInvalidUtf8, "invalid UTF-8"};
    default:
      return {RejectReason::kInvalidJson, simdjson::error_message(code)};
  }
}

}  // namespace auditrelay::normalize
