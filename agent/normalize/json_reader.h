// Parses one record into a DOM that is reused from record to record: an in-situ parse of a
// copied buffer into pool-allocated values, so a typical record costs no heap allocation.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

#include "agent/normalize/normalizer.h"
#include "agent/normalize/record_reader.h"

namespace auditrelay::normalize {

class JsonReader {
 public:
  JsonReader();
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // Parses `raw`. On success root() is the record until the next call; strings in it point
  // into this reader's copy of `raw`, not into `raw`.
  std::optional<Rejection> parse(std::string_view raw, unsigned max_depth);
  const rapidjson::Value& root() const { return document_; }

 private:
  using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                              rapidjson::MemoryPoolAllocator<>>;
  static constexpr size_t kPoolBytes = 16 * 1024;
  static constexpr size_t kRetainedInputBytes = 4 * 1024 * 1024;

  void reset();
  Rejection parse_error(bool too_deep, unsigned max_depth) const;

  // The pools start in these buffers and only fall back to malloc for big records; Clear()
  // frees those extra chunks again, so one huge record does not pin its memory.
  alignas(16) char values_buffer_[kPoolBytes];
  alignas(16) char stack_buffer_[kPoolBytes];
  rapidjson::MemoryPoolAllocator<> values_;
  // The document's build stack gets its own pool: rapidjson frees that stack after every parse,
  // which with the default allocator would be a malloc/free pair per record.
  rapidjson::MemoryPoolAllocator<> stack_;
  Document document_;
  RecordReader reader_;  // kept: its state stack survives between records
  rapidjson::ParseResult result_;
  std::string input_;  // copy of the record + kScanPadding NULs, parsed in situ
};

}  // namespace auditrelay::normalize
