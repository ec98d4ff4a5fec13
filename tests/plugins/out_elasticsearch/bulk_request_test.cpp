#include "plugins/out_elasticsearch/bulk_request.h"

#include <doctest/doctest.h>

#include <vector>

#include "plugins/out_elasticsearch/es_settings.h"

using namespace auditrelay;
using namespace auditrelay::elasticsearch;

TEST_CASE("the bulk body: a create action with the record id, the document, final newline") {
  DocumentBatch batch;
  batch.add("aaa", "logs-policy_gateway.audit-default", R"({"a":1})");
  batch.add("bbb", "logs-policy_gateway.audit-prod", R"({"b":2})");
  batch.add("ccc", "logs-x-y", R"({"c":3})");
  std::vector<uint32_t> items{0, 2};
  std::string body;
  append_bulk_body(batch, items, "", body);
  CHECK(body ==
        "{\"create\":{\"_index\":\"logs-policy_gateway.audit-default\",\"_id\":\"aaa\"}}\n"
        "{\"a\":1}\n"
        "{\"create\":{\"_index\":\"logs-x-y\",\"_id\":\"ccc\"}}\n"
        "{\"c\":3}\n");
  body.clear();
  append_bulk_body(batch, std::vector<uint32_t>{1}, "audit-classic", body);
  CHECK(body == "{\"create\":{\"_index\":\"audit-classic\",\"_id\":\"bbb\"}}\n{\"b\":2}\n");
}

TEST_CASE("index names follow Elastic's rules") {
  CHECK(valid_index_name("audit-2026"));
  CHECK(valid_index_name("logs-policy_gateway.audit-default"));
  CHECK_FALSE(valid_index_name("Audit"));
  CHECK_FALSE(valid_index_name("_audit"));
  CHECK_FALSE(valid_index_name("-audit"));
  CHECK_FALSE(valid_index_name("a b"));
  CHECK_FALSE(valid_index_name("a*"));
  CHECK_FALSE(valid_index_name(".."));
  CHECK_FALSE(valid_index_name(""));
  CHECK_FALSE(valid_index_name(std::string(256, 'a')));
}
