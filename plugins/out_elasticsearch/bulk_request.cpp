#include "plugins/out_elasticsearch/bulk_request.h"

namespace auditrelay::elasticsearch {

void append_bulk_body(const DocumentBatch& batch, std::span<const uint32_t> items,
                      std::string_view index, std::string& out) {
  // Ids are hex and targets are checked data stream or index names, so neither needs JSON
  // escaping; the documents are already one line of JSON each.
  size_t size = 0;
  for (uint32_t i : items) {
    DocumentView d = batch[i];
    size += 48 + d.id.size() + (index.empty() ? d.index.size() : index.size()) + d.json.size();
  }
  out.reserve(out.size() + size);
  for (uint32_t i : items) {
    DocumentView d = batch[i];
    out.append(R"({"create":{"_index":")");
    out.append(index.empty() ? d.index : index);
    out.append(R"(","_id":")");
    out.append(d.id);
    out.append("\"}}\n");
    out.append(d.json);
    out.push_back('\n');
  }
}

}  // namespace auditrelay::elasticsearch
