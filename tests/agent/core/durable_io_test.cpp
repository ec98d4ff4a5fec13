#include "agent/core/durable_io.h"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>

#include "tests/support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::read_file;
using auditrelay::test::TempDir;

namespace {

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("AppendFile creates its directories (0700) and file (0600), whatever the umask") {
  TempDir dir;
  mode_t old_umask = ::umask(0);
  AppendFile f(dir / "sub" / "deeper" / "out.ndjson");
  CHECK(f.append("one\n", true) == "");
  CHECK(f.append("two\n", false) == "");
  ::umask(old_umask);
  CHECK(read_file(dir / "sub" / "deeper" / "out.ndjson") == "one\ntwo\n");
  CHECK(mode_of(dir / "sub") == 0700);
  CHECK(mode_of(dir / "sub" / "deeper") == 0700);
  CHECK(mode_of(dir / "sub" / "deeper" / "out.ndjson") == 0600);
}

TEST_CASE("create_private_directories leaves existing directories alone and names a failure") {
  TempDir dir;
  std::filesystem::create_directory(dir / "existing");
  std::filesystem::permissions(dir / "existing", std::filesystem::perms(0750));
  CHECK(create_private_directories(dir / "existing" / "new") == "");
  CHECK(mode_of(dir / "existing") == 0750);
  CHECK(mode_of(dir / "existing" / "new") == 0700);
  auditrelay::test::write_file(dir / "file", "x");
  std::string error = create_private_directories(dir / "file" / "below");
  CHECK(error.find("below") != std::string::npos);
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

TEST_CASE("a torn last line left by a crash is cut off before appending") {
  TempDir dir;
  auditrelay::test::write_file(dir / "out.ndjson", "{\"a\":1}\n{\"b\":");
  AppendFile f(dir / "out.ndjson");
  CHECK(f.append("{\"c\":3}\n", true) == "");
  CHECK(read_file(dir / "out.ndjson") == "{\"a\":1}\n{\"c\":3}\n");
  CHECK(f.cut_bytes() == 5);
}

TEST_CASE("a file with no complete line at all is emptied before appending") {
  TempDir dir;
  auditrelay::test::write_file(dir / "out.ndjson", "{\"torn");
  AppendFile f(dir / "out.ndjson");
  CHECK(f.append("x\n", false) == "");
  CHECK(read_file(dir / "out.ndjson") == "x\n");
}

TEST_CASE("a write that fails half-way is taken back whole") {
  TempDir dir;
  AppendFile f(dir / "out.ndjson");
  REQUIRE(f.append("0123456789\n", false) == "");
  // Cap the file size so the next write stops part-way (EFBIG instead of SIGXFSZ).
  struct rlimit old {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit capped = old;
  capped.rlim_cur = 16;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &capped) == 0);
  std::string err = f.append("abcdefghijklmnop\n", false);
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  CHECK(err.find("out.ndjson") != std::string::npos);
  CHECK(read_file(dir / "out.ndjson") == "0123456789\n");
  CHECK(f.append("next\n", false) == "");
  CHECK(read_file(dir / "out.ndjson") == "0123456789\nnext\n");
}
