#include "agent/normalize/json_reader.h"

#include <rapidjson/error/en.h>

#include <cstdint>
#include <cstring>

#include "agent/normalize/json_depth.h"

namespace auditrelay::normalize {
namespace {

// Recursive parsing (faster than rapidjson's iterative mode) is safe because the handler stops
// the parse as soon as nesting passes max_depth (at most kDepthCeiling): the recursion never
// goes deeper than that, on any thread (libuv's pool threads have 8 MiB stacks).
// FullPrecision: numbers copied verbatim into policy.unmapped keep their exact value.
constexpr unsigned kParseFlags = rapidjson::kParseInsituFlag | rapidjson::kParseFullPrecisionFlag;
// ValidateEncoding makes invalid UTF-8 in strings an error (kInvalidUtf8) instead of shipping
// it, but triples the parse time, so it is only used for records that are not pure ASCII
// (ASCII is valid UTF-8; for \u escapes see has_escaped_surrogate).
constexpr unsigned kValidatingParseFlags = kParseFlags | rapidjson::kParseValidateEncodingFlag;

bool is_ascii(std::string_view raw) {
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  const char* p = raw.data();
  const char* end = p + raw.size();
  uint64_t seen = 0;
  for (; end - p >= 8; p += 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);  // unaligned-safe; compiles to one load
    seen |= word;
  }
  for (; p < end; ++p)
    seen |= static_cast<unsigned char>(*p);
  return (seen & kHighBits) == 0;
}

// RapidJSON decodes a lone low-surrogate escape ("\udc00") into the bytes ED B0 80, which are
// not UTF-8, whatever the flags. After an in-situ parse the buffer holds the input's own
// (valid) bytes and the decoded strings, so ED followed by A0..BF can only come from such an
// escape: the UTF-8 encoding of U+D800..U+DFFF.
bool has_escaped_surrogate(std::string_view parsed) {
  for (size_t i = parsed.find('\xed'); i != std::string_view::npos;
       i = parsed.find('\xed', i + 1)) {
    if (i + 1 < parsed.size() && static_cast<unsigned char>(parsed[i + 1]) >= 0xa0) return true;
  }
  return false;
}

bool is_blank(std::string_view raw) {
  for (char c : raw) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

JsonReader::JsonReader()
    : values_(values_buffer_, sizeof values_buffer_),
      stack_(stack_buffer_, sizeof stack_buffer_),
      document_(&values_, kPoolBytes / 2, &stack_) {}

void JsonReader::reset() {
  // Pool memory is never freed value by value, so dropping the root first is all it takes.
  document_.SetNull();
  values_.Clear();
  stack_.Clear();
  if (input_.capacity() > kRetainedInputBytes) std::string().swap(input_);
}

std::optional<Rejection> JsonReader::parse(std::string_view raw, unsigned max_depth) {
  if (is_blank(raw)) return Rejection{RejectReason::kEmpty, "record is empty or whitespace only"};
  // The in-situ stream ends at the first NUL, so a NUL would silently cut the record short.
  // JSON text cannot hold a raw NUL anywhere, so it is simply invalid.
  if (size_t nul = raw.find('\0'); nul != std::string_view::npos) {
    return Rejection{RejectReason::kInvalidJson, "NUL byte at offset " + std::to_string(nul)};
  }
  reset();
  input_.assign(raw);
  input_.append(kScanPadding, '\0');
  bool too_deep = false;
  const bool validate = !is_ascii(raw);
  auto generate = [&](Document& document) {
    DepthLimitedHandler<Document> handler(document, max_depth);
    rapidjson::InsituStringStream stream(input_.data());
    result_ = validate ? reader_.Parse<kValidatingParseFlags>(stream, handler)
                       : reader_.Parse<kParseFlags>(stream, handler);
    too_deep = handler.exceeded();
    return !result_.IsError();
  };
  document_.Populate(generate);
  if (result_.IsError()) return parse_error(too_deep, max_depth);
  if (has_escaped_surrogate(input_)) {
    return Rejection{RejectReason::kInvalidUtf8, "a \\u escape encodes a lone surrogate"};
  }
  return std::nullopt;
}

Rejection JsonReader::parse_error(bool too_deep, unsigned max_depth) const {
  const std::string at = " at offset " + std::to_string(result_.Offset());
  if (too_deep) {
    const unsigned limit = max_depth < kDepthCeiling ? max_depth : kDepthCeiling;
    return {RejectReason::kTooDeep,
            "nesting deeper than " + std::to_string(limit) + " levels" + at};
  }
  switch (result_.Code()) {
    case rapidjson::kParseErrorStringInvalidEncoding:
      return {RejectReason::kInvalidUtf8, "invalid UTF-8 in a string" + at};
    case rapidjson::kParseErrorDocumentEmpty:
      return {RejectReason::kEmpty, "record is empty"};
    default:
      return {RejectReason::kInvalidJson,
              std::string(rapidjson::GetParseError_En(result_.Code())) + at};
  }
}

}  // namespace auditrelay::normalize
