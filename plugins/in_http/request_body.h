// What the HTTP input does with a POST body before the pipeline sees it: pick the format from
// Content-Type, undo Content-Encoding within a size cap, split it into records, and derive the
// id key that makes a re-sent body produce the same record ids. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::http_input {

enum class BodyFormat {
  kJson,   // application/json: one object, or an array of them
  kLines,  // application/x-ndjson, application/jsonl: one record a line
  kSniff,  // no Content-Type, or another JSON type: '[' first → array, else lines
};

// nullopt: a type the input does not take (415).
std::optional<BodyFormat> body_format(std::string_view content_type);

enum class Encoding { kIdentity, kGzip, kZstd };

// nullopt: a coding the input does not take (415).
std::optional<Encoding> body_encoding(std::string_view content_encoding);

struct DecodedBody {
  enum class Status { kOk, kTooLarge, kInvalid };
  Status status = Status::kOk;
  std::string bytes;  // kOk: the decoded body
  std::string error;  // kInvalid: why
};

// Decodes at most `max_bytes`: a body that would grow past it is kTooLarge, and no more than
// about `max_bytes` is ever allocated for it (a gzip bomb costs its cap, not its size).
DecodedBody decode_body(std::string body, Encoding encoding, uint64_t max_bytes);

struct RecordSpan {
  size_t offset = 0;
  size_t size = 0;
};

struct SplitBody {
  char shape = 'l';  // 'a' a JSON array, 'o' one JSON value, 'l' lines
  std::vector<RecordSpan> records;
  std::string error;  // set when the body is a JSON array that does not parse
};

// The records of `body`: an array's elements (their exact bytes), a single value, or the
// non-blank lines (without their line break).
SplitBody split_body(const std::string& body, BodyFormat format);

// The RecordSource id key of a body: a hash of its decoded bytes and of how it was split, so
// the same body sent again yields the same record ids (MAPPING.md §4).
std::string body_id_key(std::string_view body, char shape);

}  // namespace auditrelay::http_input
