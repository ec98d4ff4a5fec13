#include "agent/core/document_encoding.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace auditrelay {
namespace {

rapidjson::SizeType json_size(std::string_view s) {
  return static_cast<rapidjson::SizeType>(s.size());
}

// {"create":{"_index":"logs-…","_id":"…"}}: `create` so a replayed id is a 409, not a
// second copy (ARCHITECTURE.md, "No duplicates").
void append_bulk_action(const DocumentView& doc, rapidjson::StringBuffer& buf) {
  buf.Clear();
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("create");
  w.StartObject();
  w.Key("_index");
  w.String(doc.index.data(), json_size(doc.index));
  w.Key("_id");
  w.String(doc.id.data(), json_size(doc.id));
  w.EndObject();
  w.EndObject();
}

}  // namespace

bool parse_document_format(std::string_view text, DocumentFormat& out) {
  if (text == "ndjson") {
    out = DocumentFormat::kNdjson;
  } else if (text == "bulk") {
    out = DocumentFormat::kBulk;
  } else {
    return false;
  }
  return true;
}

void append_documents(const DocumentBatch& batch, DocumentFormat format, std::string& out) {
  rapidjson::StringBuffer action;
  for (size_t i = 0; i < batch.size(); ++i) {
    DocumentView doc = batch[i];
    if (format == DocumentFormat::kBulk) {
      append_bulk_action(doc, action);
      out.append(action.GetString(), action.GetSize());
      out += '\n';
    }
    out += doc.json;
    out += '\n';
  }
}

}  // namespace auditrelay
