// Parses one bulk action/metadata line (`{"create":{"_index":"x","_id":"1"}}`) with a
// rapidjson SAX reader, so no DOM is built per document, and reports malformed lines with
// the messages of Elasticsearch's BulkRequestParser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace auditrelay::fakes::es {

enum class BulkOp { kCreate, kIndex, kUpdate, kDelete };

const char* op_name(BulkOp op);

struct ActionLine {
  BulkOp op = BulkOp::kCreate;
  std::string index;  // "" when the line names none
  std::string id;     // "" when the line names none
  // When parsing failed: the Elasticsearch error type and reason.
  std::string error_type;
  std::string error_reason;
  // The line, NUL-terminated: rapidjson scans strings 16 bytes at a time (SSE2) only in such
  // a stream, and a bulk request is mostly these lines' strings.
  std::string text;
};

// Parses `line` (the `line_number`-th line of the body, 1-based) into `action`, whose
// strings keep their capacity from one call to the next. Returns false on error.
bool parse_action_line(std::string_view line, uint64_t line_number, ActionLine& action);

}  // namespace auditrelay::fakes::es
