#include "plugins/in_tail/offset_store.h"

#include <doctest/doctest.h>

#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::TempDir;
using auditrelay::test::write_file;

TEST_CASE("offsets round-trip, fingerprint optional") {
  TempDir dir;
  OffsetStore store(dir / "offsets.json");
  auto first = store.load();
  CHECK_FALSE(first.existed);
  CHECK(first.offsets.empty());

  std::vector<StoredOffset> offsets{
      {{1, 2}, Fingerprint{0xdeadbeefcafef00dULL, 77}, 4096, "/var/log/a.jsonl"},
      {{1, 3}, std::nullopt, 0, "/var/log/b.jsonl"},
  };
  REQUIRE(store.save(offsets) == "");
  auto loaded = store.load();
  CHECK(loaded.existed);
  CHECK(loaded.warning.empty());
  REQUIRE(loaded.offsets.size() == 2);
  CHECK(loaded.offsets[0].identity == FileIdentity{1, 2});
  CHECK(loaded.offsets[0].fingerprint == Fingerprint{0xdeadbeefcafef00dULL, 77});
  CHECK(loaded.offsets[0].offset == 4096);
  CHECK(loaded.offsets[0].path == "/var/log/a.jsonl");
  CHECK_FALSE(loaded.offsets[1].fingerprint.has_value());
}

TEST_CASE("a corrupt store is reported and treated as empty, not as a first start") {
  TempDir dir;
  write_file(dir / "offsets.json", "{\"files\": [tor");
  auto loaded = OffsetStore(dir / "offsets.json").load();
  CHECK(loaded.existed);  // so files are read from their start: duplicates, never loss
  CHECK(loaded.offsets.empty());
  CHECK(loaded.warning.find("unreadable") != std::string::npos);
}
