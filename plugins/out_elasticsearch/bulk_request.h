// The _bulk request body: for each document a `create` action with its record id as _id (so
// a document sent twice is indexed once: the second gets 409) and its target, then the
// document. https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "agent/core/document.h"

namespace auditrelay::elasticsearch {

// Appends the NDJSON body (final newline included, as Elasticsearch requires). `index`, when
// not empty, replaces each document's own data stream as the target.
void append_bulk_body(const DocumentBatch& batch, std::span<const uint32_t> items,
                      std::string_view index, std::string& out);

// The response fields we read; Elasticsearch leaves out the rest (smaller, faster to parse).
inline constexpr std::string_view kBulkFilterPath =
    "errors,items.*.status,items.*.error.type,items.*.error.reason";

}  // namespace auditrelay::elasticsearch
