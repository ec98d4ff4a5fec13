#include "agent/core/durable_io.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::read_file;
using auditrelay::test::TempDir;

TEST_CASE("AppendFile creates its directory and file (0600) and appends") {
  TempDir dir;
  AppendFile f(dir / "sub" / "out.ndjson");
  CHECK(f.append("one\n", true) == "");
  CHECK(f.append("two\n", false) == "");
  CHECK(read_file(dir / "sub" / "out.ndjson") == "one\ntwo\n");
  struct stat st {};
  REQUIRE(::stat((dir / "sub" / "out.ndjson").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("AppendFile reports an error it cannot open, naming the path") {
  TempDir dir;
  auditrelay::test::write_file(dir / "file", "x");
  AppendFile f(dir / "file" / "below-a-file");
  std::string err = f.append("x", false);
  CHECK(err.find("below-a-file") != std::string::npos);
}

TEST_CASE("replace_file_atomically replaces the whole content and leaves no temporary") {
  TempDir dir;
  CHECK(replace_file_atomically(dir / "state.json", "first") == "");
  CHECK(replace_file_atomically(dir / "state.json", "second") == "");
  CHECK(read_file(dir / "state.json") == "second");
  CHECK_FALSE(std::filesystem::exists(dir / "state.json.tmp"));
}
