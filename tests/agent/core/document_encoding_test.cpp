#include "agent/core/document_encoding.h"

#include <doctest/doctest.h>

using namespace auditrelay;

TEST_CASE("ndjson writes one document per line") {
  DocumentBatch batch;
  batch.add("id1", "logs-a-b", R"({"x":1})");
  batch.add("id2", "logs-a-b", R"({"x":2})");
  std::string out;
  append_documents(batch, DocumentFormat::kNdjson, out);
  CHECK(out == "{\"x\":1}\n{\"x\":2}\n");
}

TEST_CASE("bulk writes a create action with _index and _id before each document") {
  DocumentBatch batch;
  batch.add("a\"b", "logs-policy_gateway.audit-prod", R"({"x":1})");
  std::string out;
  append_documents(batch, DocumentFormat::kBulk, out);
  CHECK(out ==
        "{\"create\":{\"_index\":\"logs-policy_gateway.audit-prod\",\"_id\":\"a\\\"b\"}}\n"
        "{\"x\":1}\n");
}

TEST_CASE("format names") {
  DocumentFormat f = DocumentFormat::kNdjson;
  CHECK(parse_document_format("bulk", f));
  CHECK(f == DocumentFormat::kBulk);
  CHECK_FALSE(parse_document_format("csv", f));
}
