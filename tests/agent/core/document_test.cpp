#include "agent/core/document.h"

#include <doctest/doctest.h>

#include <string>

using namespace auditrelay;

namespace {

std::string prefix(uint32_t id, uint32_t index, uint32_t json) {
  std::string p(kDocumentPrefixBytes, '\0');
  put_u32(p.data(), id);
  put_u32(p.data() + 4, index);
  put_u32(p.data() + 8, json);
  return p;
}

void check_doc(const DocumentBatch& batch, size_t i, std::string_view id, std::string_view index,
               std::string_view json) {
  CAPTURE(i);
  CHECK(batch[i].id == id);
  CHECK(batch[i].index == index);
  CHECK(batch[i].json == json);
}

}  // namespace

TEST_CASE("documents lie in the batch as little-endian sizes, then id, index and json") {
  DocumentBatch batch;
  batch.add("id1", "logs-a-b", R"({"x":1})");
  batch.add("", "i", std::string(300, 'j'));
  const std::string first = prefix(3, 8, 7) + "id1" + "logs-a-b" + R"({"x":1})";
  const std::string second = prefix(0, 1, 300) + "i" + std::string(300, 'j');
  CHECK(batch.records(0, 2) == first + second);
  CHECK(batch.records(1, 2) == second);
  CHECK(batch.records(0, 1) == first);
  CHECK(batch.records(1, 1).empty());
  CHECK(batch.bytes() == 3 + 8 + 7 + 1 + 300);  // without the prefixes
  check_doc(batch, 1, "", "i", std::string(300, 'j'));
}

TEST_CASE("a run of documents appended from another batch is copied whole, after what was there") {
  DocumentBatch from;
  for (int i = 0; i < 5; ++i)
    from.add("id" + std::to_string(i), "idx", "{\"n\":" + std::to_string(i) + "}");
  DocumentBatch to;
  to.add("mine", "x", "{}");
  to.append(from, 1, 4);
  to.append(from, 4, 4);  // nothing
  REQUIRE(to.size() == 4);
  check_doc(to, 0, "mine", "x", "{}");
  for (size_t i = 1; i < 4; ++i)
    check_doc(to, i, from[i].id, from[i].index, from[i].json);
  CHECK(to.records(1, 4) == from.records(1, 4));
  size_t bytes = 4 + 1 + 2;
  for (size_t i = 1; i < 4; ++i)
    bytes += from[i].id.size() + from[i].index.size() + from[i].json.size();
  CHECK(to.bytes() == bytes);
  to.add("last", "y", "[]");  // and adding goes on after them
  check_doc(to, 4, "last", "y", "[]");
  CHECK(to.records(0, 5).size() == to.bytes() + 5 * kDocumentPrefixBytes);
}

TEST_CASE("an adopted buffer in the same layout becomes the batch without a copy") {
  DocumentBatch made;
  made.add("a", "b", "{}");
  made.add("cc", "dd", "[1]");
  std::string bytes(made.records(0, 2));
  const char* storage = bytes.data();
  DocumentBatch adopted;
  adopted.adopt(std::move(bytes), 2);
  adopted.add_in_place(kDocumentPrefixBytes, 1, 1, 2);
  adopted.add_in_place(2 * kDocumentPrefixBytes + 4, 2, 2, 3);
  CHECK(adopted.bytes_view().data() == storage);
  check_doc(adopted, 0, "a", "b", "{}");
  check_doc(adopted, 1, "cc", "dd", "[1]");
  CHECK(adopted.records(0, 2) == made.records(0, 2));
}
