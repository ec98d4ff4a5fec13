#include "agent/normalize/record_id.h"

#include <doctest/doctest.h>

#include <string>

#include "agent/normalize/normalizer.h"

namespace auditrelay {
namespace {

TEST_CASE("32 lowercase hex digits") {
  const std::string id = derive_record_id({"key", 1}, "{}");
  REQUIRE(id.size() == 32);
  for (char c : id)
    CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
}

TEST_CASE("the same key, position and bytes give the same id") {
  CHECK(derive_record_id({"inode:42", 1000}, "line") ==
        derive_record_id({"inode:42", 1000}, "line"));
  Normalizer a({});
  Normalizer b({});
  DocumentBatch batch;
  const std::string raw =
      R"({"policy_id":"p","decision":"allow","created_at":"2026-01-16T18:22:11Z"})";
  REQUIRE_FALSE(a.normalize(raw, Schema::kAuto, {"k", 5}, batch));
  REQUIRE_FALSE(b.normalize(raw, Schema::kAuto, {"k", 5}, batch));  // e.g. after a restart
  REQUIRE(batch.size() == 2);
  CHECK(batch[0].id == batch[1].id);
  CHECK(batch[0].id == derive_record_id({"k", 5}, raw));
}

TEST_CASE("any difference gives a different id") {
  const std::string base = derive_record_id({"inode:42", 1000}, "line");
  CHECK(derive_record_id({"inode:42", 1001}, "line") != base);  // identical bytes elsewhere
  CHECK(derive_record_id({"inode:43", 1000}, "line") != base);
  CHECK(derive_record_id({"inode:42", 1000}, "line ") != base);
  CHECK(derive_record_id({"inode:42", 1000}, "") != derive_record_id({"inode:42", 0}, ""));
}

TEST_CASE("the framing is unambiguous") {
  // Key and raw bytes are hashed apart, so moving bytes from one to the other changes the id.
  CHECK(derive_record_id({"ab", 0}, "c") != derive_record_id({"a", 0}, "bc"));
  CHECK(derive_record_id({"", 0}, "x") != derive_record_id({"x", 0}, ""));
}

TEST_CASE("ids never change between versions") {
  // Ids dedupe replays after a restart or upgrade; a change here duplicates documents. The
  // values are XXH3_128bits_withSeed(raw, seed = XXH3_64bits_withSeed(key, position)),
  // printed high 64 bits first.
  CHECK(derive_record_id({"inode:42:fp:abcdef", 1234}, "{\"a\":1}") ==
        "3092b187625db206e3122a35a6ebee14");
  CHECK(derive_record_id({"", 0}, "") == "7a3edd697cf3f9535310e30cce3262d6");
}

TEST_CASE("own ids are used as they are") {
  Normalizer normalizer({});
  DocumentBatch batch;
  REQUIRE_FALSE(normalizer.normalize(
      R"({"policy_id":"p","decision":"allow","created_at":"2026-01-16T18:22:11Z","id":"mine"})",
      Schema::kAuto, {"k", 0}, batch));
  REQUIRE_FALSE(normalizer.normalize(
      R"({"id":"audit_1","timestamp":"2025-01-10T14:30:00Z","policyId":"g","allowed":true,)"
      R"("enforcement":"warn","model":"m"})",
      Schema::kAuto, {"k", 1}, batch));
  CHECK(batch[0].id == "mine");
  CHECK(batch[1].id == "audit_1");
}

}  // namespace
}  // namespace auditrelay
