// Serializations of a document batch shared by the outputs that write documents as text.
#pragma once

#include <string>
#include <string_view>

#include "agent/core/document.h"

namespace auditrelay {

enum class DocumentFormat {
  kNdjson,  // one document per line
  kBulk,    // an Elasticsearch _bulk body: a `create` action line, then the document
};

bool parse_document_format(std::string_view text, DocumentFormat& out);

// Appends the batch to `out` in `format`, each line ending in '\n'.
void append_documents(const DocumentBatch& batch, DocumentFormat format, std::string& out);

}  // namespace auditrelay
