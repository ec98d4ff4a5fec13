// Fuzzes the normalizer the way the pipeline drives it: the input's first byte picks the schema
// and whether the rest is one record (parsed from a padded copy) or a file's bytes split by the
// tail input's line reader (records parsed in place, reading ahead into the rest of the batch).
// Every document produced must be valid UTF-8 JSON with an id and a target: Elasticsearch
// would refuse anything else, and the record would be lost to a retry loop.
#include <rapidjson/document.h>
#include <rapidjson/encodings.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/core/line_reader.h"
#include "agent/core/normalize_record.h"
#include "agent/normalize/normalizer.h"

namespace {

using auditrelay::DocumentBatch;
using auditrelay::Normalizer;
using auditrelay::RawBatch;
using auditrelay::Schema;

// Small enough that the fuzzer reaches the too_large path with short inputs.
constexpr size_t kMaxRecordBytes = 4096;

void check_document(const auditrelay::DocumentView& doc) {
  rapidjson::Document parsed;
  parsed.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(
      doc.json.data(), doc.json.size());
  if (parsed.HasParseError() || !parsed.IsObject() || doc.id.empty() || doc.index.empty()) {
    std::abort();  // a document Elasticsearch would refuse
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // One normalizer for the whole run, as one per pipeline thread: its reused buffers are part
  // of what is tested.
  static Normalizer normalizer(auditrelay::NormalizeOptions{});
  const uint8_t mode = data[0];
  const auto schema = static_cast<Schema>(mode % 3);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  RawBatch batch;
  const uint32_t source = batch.add_source({"fuzz", "fuzz-source"});
  if ((mode & 0x4) != 0) {
    batch.data().assign(bytes);
    auditrelay::LineCursor cursor;
    auditrelay::scan_lines(batch, 0, source, cursor, kMaxRecordBytes, /*final=*/true);
  } else {
    batch.add_copy(source, 0, bytes);
  }
  DocumentBatch documents;
  for (const auditrelay::RawRecord& record : batch.records()) {
    auditrelay::normalize::EventType event_type{};
    auditrelay::normalize_record(normalizer, batch, record, schema, documents, &event_type);
  }
  for (size_t i = 0; i < documents.size(); ++i)
    check_document(documents[i]);
  return 0;
}
