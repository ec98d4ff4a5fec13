// Parses one record with simdjson's DOM parser (SIMD, picked at run time for the CPU), reused
// from record to record so that a typical record costs no heap allocation. A record simdjson
// refuses is parsed again by rapidjson only to say why (its messages name the offset).
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "agent/normalize/normalizer.h"

namespace auditrelay::normalize {

// Beyond this NormalizeOptions::max_depth is clamped: it also bounds the recursion of the
// writer that copies values to the output.
inline constexpr unsigned kDepthCeiling = 1024;

class JsonReader {
 public:
  JsonReader() = default;
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // Parses `raw`, refusing nesting deeper than `max_depth` objects and arrays. On success
  // root() is the record until the next call; its strings point into this reader. With
  // SIMDJSON_PADDING bytes readable after `raw` (`readable_after`), `raw` is parsed where it
  // is; otherwise it is copied into a padded buffer first.
  std::optional<Rejection> parse(std::string_view raw, unsigned max_depth,
                                 size_t readable_after = 0);
  simdjson::dom::element root() const { return root_; }

 private:
  // Above this the parser's buffers are given back after the record, so one huge record does
  // not pin its memory.
  static constexpr size_t kRetainedBytes = 4 * 1024 * 1024;
  static constexpr size_t kInitialCapacity = 64 * 1024;

  std::optional<Rejection> prepare(size_t size, unsigned depth);

  simdjson::dom::parser parser_;  // allocated on first use, by prepare()
  std::string input_;             // the record + SIMDJSON_PADDING bytes simdjson may read
  simdjson::dom::element root_;
};

// Why `raw`, which simdjson refused with `code`, is not an acceptable record.
Rejection explain_rejection(std::string_view raw, unsigned depth, simdjson::error_code code);

}  // namespace auditrelay::normalize
