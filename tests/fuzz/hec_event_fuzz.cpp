// Fuzzes the Splunk HEC event encoder with any document: the nested lookup, its fallback to the
// full scan (dotted and escaped keys, rewinding the parser), and the time. Byte 0 picks how
// many bytes follow the document in its batch (simdjson reads past a document scanned in
// place). Whatever the bytes, the encoder must not crash; and when the document is a valid JSON
// object, the event built around it must be valid JSON too.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plugins/out_splunk_hec/hec_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view document(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const auditrelay::splunk_hec::EventEncoder encoder(auditrelay::splunk_hec::EventMetadata{
      .host = "h",
      .source = "s",
      .sourcetype = "t",
      .index = "",
      .fields = {"policy.decision", "a.b", "a", "a.b.c", "d", "x.y.z"}});
  // The document, then a trailing one of 0-255 bytes, in one batch.
  auditrelay::DocumentBatch batch;
  batch.add("id", "target", document);
  batch.add("id", "target", std::string(data[0], ' '));
  std::string body;
  encoder.append_body(batch, std::vector<uint32_t>{0}, body);

  // (rapidjson takes a NUL byte for the end of its input: such a document is not checked.)
  rapidjson::Document input;
  input.Parse(document.data(), document.size());
  if (!input.HasParseError() && input.IsObject() && document.find('\0') == std::string_view::npos) {
    rapidjson::Document event;
    event.Parse(body.data(), body.size());
    if (event.HasParseError() || !event.IsObject() || !event.HasMember("event")) std::abort();
  }
  return 0;
}
