// Fuzzes the HTTP input's body handling alone, without the HTTP framing in front of it that
// http_request_fuzz needs the fuzzer to get right first: byte 0 picks the Content-Type and
// Content-Encoding, the rest is the body as sent. It is decoded within a cap (gzip, concatenated
// gzip members, zstd), split into records (JSON array, one value, NDJSON) and each record
// normalized at its place in the body, as in_http's submit() hands them to the pipeline.
#include <rapidjson/document.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/core/normalize_record.h"
#include "agent/normalize/normalizer.h"
#include "plugins/in_http/request_body.h"

namespace {

using namespace auditrelay;

// Small, so that short compressed inputs reach the cap.
constexpr uint64_t kMaxDecompressedBytes = 256 * 1024;

constexpr std::array<std::string_view, 6> kContentTypes{
    "",          "application/json", "application/x-ndjson", "application/jsonl; charset=utf-8",
    "text/json", "text/plain"};
constexpr std::array<std::string_view, 5> kContentEncodings{"", "gzip", "zstd", "x-gzip", "br"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static Normalizer normalizer(NormalizeOptions{});
  const auto format = http_input::body_format(kContentTypes[data[0] % kContentTypes.size()]);
  const auto encoding = http_input::body_encoding(
      kContentEncodings[(data[0] / kContentTypes.size()) % kContentEncodings.size()]);
  if (!format || !encoding) return 0;  // 415
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  http_input::DecodedBody decoded =
      http_input::decode_body(std::move(body), *encoding, kMaxDecompressedBytes);
  if (decoded.status != http_input::DecodedBody::Status::kOk) return 0;  // 400 or 413
  if (decoded.bytes.size() > kMaxDecompressedBytes) std::abort();        // the cap did not hold
  const http_input::SplitBody split = http_input::split_body(decoded.bytes, *format);
  if (!split.error.empty()) return 0;

  RawBatch batch;
  const uint32_t source =
      batch.add_source({"http:fuzz", http_input::body_id_key(decoded.bytes, split.shape)});
  batch.data() = std::move(decoded.bytes);
  uint64_t position = 0;
  for (const http_input::RecordSpan& span : split.records) {
    if (span.size == 0 || span.offset > batch.data().size() ||
        span.size > batch.data().size() - span.offset) {
      std::abort();  // a record outside the body
    }
    if (split.shape == 'a') {
      // An array's records are its elements' exact bytes: each is one JSON value alone.
      rapidjson::Document element;
      element.Parse<rapidjson::kParseIterativeFlag>(batch.data().data() + span.offset, span.size);
      if (element.HasParseError()) std::abort();
    }
    batch.add_record(source, position++, span.offset, span.size, span.size);
  }
  DocumentBatch documents;
  for (const RawRecord& record : batch.records())
    normalize_record(normalizer, batch, record, Schema::kAuto, documents);
  return 0;
}
