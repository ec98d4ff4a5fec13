#include "agent/config/settings.h"

#include <doctest/doctest.h>

#include "agent/config/units.h"

using namespace std::chrono_literals;

namespace auditrelay {
namespace {

std::chrono::milliseconds duration_of(std::string_view text) {
  std::chrono::milliseconds out{-1};
  REQUIRE_MESSAGE(parse_duration(text, out), text);
  return out;
}

uint64_t size_of(std::string_view text) {
  uint64_t out = 0;
  REQUIRE_MESSAGE(parse_size(text, out), text);
  return out;
}

bool rejects_duration(std::string_view text) {
  std::chrono::milliseconds out{42};
  return !parse_duration(text, out) && out == 42ms;
}

bool rejects_size(std::string_view text) {
  uint64_t out = 42;
  return !parse_size(text, out) && out == 42;
}

TEST_CASE("parse_duration accepts ms, s, m, h, fractions and bare seconds") {
  CHECK(duration_of("250ms") == 250ms);
  CHECK(duration_of("5s") == 5s);
  CHECK(duration_of("2m") == 120s);
  CHECK(duration_of("1h") == 3600s);
  CHECK(duration_of("1.5s") == 1500ms);
  CHECK(duration_of("0.25m") == 15s);
  CHECK(duration_of("30") == 30s);
  CHECK(duration_of("1.5") == 1500ms);
  CHECK(duration_of("0") == 0ms);
  CHECK(duration_of("5 s") == 5s);
  // Below a millisecond is truncated.
  CHECK(duration_of("1.9ms") == 1ms);
  CHECK(duration_of("0.0004s") == 0ms);
}

TEST_CASE("parse_duration rejects signs, unknown units, garbage and overflow") {
  for (std::string_view bad :
       {"", "s", "-1s", "+1s", "5x", "5sec", "1.", ".5s", "1.5.5s", "5 s s", "1d", "abc",
        "9223372036854775808ms", "99999999999999999999", "5000000000000h"}) {
    CHECK_MESSAGE(rejects_duration(bad), bad);
  }
}

TEST_CASE("parse_size accepts bytes, decimal and binary units, fractions") {
  CHECK(size_of("512") == 512);
  CHECK(size_of("512B") == 512);
  CHECK(size_of("64KiB") == 64 * 1024);
  CHECK(size_of("64MiB") == 64ull * 1024 * 1024);
  CHECK(size_of("2GiB") == 2ull * 1024 * 1024 * 1024);
  CHECK(size_of("1TiB") == 1024ull * 1024 * 1024 * 1024);
  CHECK(size_of("1KB") == 1000);
  CHECK(size_of("10MB") == 10'000'000);
  CHECK(size_of("3GB") == 3'000'000'000ull);
  CHECK(size_of("1.5GiB") == 1'610'612'736ull);
  CHECK(size_of("0.5KiB") == 512);
  CHECK(size_of("64mib") == 64ull * 1024 * 1024);
  CHECK(size_of("64 MiB") == 64ull * 1024 * 1024);
  CHECK(size_of("18446744073709551615") == 18446744073709551615ull);
  CHECK(size_of("1.1B") == 1);
}

TEST_CASE("parse_size rejects negatives, garbage and overflow") {
  for (std::string_view bad :
       {"", "-1", "-1KiB", "+1", "abc", "1.5.5", "KiB", "10XB", "10 K", "1Ki",
        "18446744073709551616", "17179869184GiB", "16777216TiB", "1e6"}) {
    CHECK_MESSAGE(rejects_size(bad), bad);
  }
}

TEST_CASE("parse_bool accepts true/false and yes/no in any case, nothing else") {
  bool value = false;
  CHECK((parse_bool("true", value) && value));
  CHECK((parse_bool("YES", value) && value));
  CHECK((parse_bool("False", value) && !value));
  CHECK((parse_bool("no", value) && !value));
  value = true;
  for (std::string_view bad : {"", "on", "off", "y", "n", "1", "0", "truthy"}) {
    CHECK_MESSAGE(!parse_bool(bad, value), bad);
  }
  CHECK(value);
}

TEST_CASE("parse_int accepts signed decimal 64-bit integers") {
  int64_t value = 0;
  CHECK((parse_int("-42", value) && value == -42));
  CHECK((parse_int("9223372036854775807", value) && value == INT64_MAX));
  value = 7;
  for (std::string_view bad : {"", "+1", "1.5", "0x10", "12a", "9223372036854775808", " 1"}) {
    CHECK_MESSAGE(!parse_int(bad, value), bad);
  }
  CHECK(value == 7);
}

TEST_CASE("durations and sizes format with the largest exact unit") {
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(5s) == "5s");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(120s) == "2m");
  CHECK(format_duration(7200s) == "2h");
  CHECK(format_size(0) == "0");
  CHECK(format_size(1000) == "1000");
  CHECK(format_size(512 * 1024) == "512KiB");
  CHECK(format_size(64ull << 20) == "64MiB");
  CHECK(format_size(1536ull << 20) == "1536MiB");
  CHECK(format_size(2ull << 30) == "2GiB");
  CHECK(format_size(3ull << 40) == "3TiB");
}

Settings sample_settings() {
  Settings nested("service.storage", ConfigMark{"a.yaml", 3, 3});
  nested.set("path", std::string("/var/lib/x"), ConfigMark{"a.yaml", 4, 5}, true, false);
  Settings s("service", ConfigMark{"a.yaml", 2, 3});
  s.set("name", std::string("agent"), ConfigMark{"a.yaml", 2, 3}, true, false);
  s.set("flag", true, ConfigMark{"a.yaml", 5, 3}, false, false);
  s.set("count", int64_t{-3}, ConfigMark{"a.yaml", 6, 3}, true, false);
  s.set("wait", std::chrono::milliseconds(1500), ConfigMark{"a.yaml", 7, 3}, true, false);
  s.set("limit", uint64_t{4096}, ConfigMark{"a.yaml", 8, 3}, false, false);
  s.set("paths", std::vector<std::string>{"/a", "/b"}, ConfigMark{"a.yaml", 9, 3}, true, false);
  s.set("storage", std::make_shared<Settings>(nested), ConfigMark{"a.yaml", 3, 3}, true, false);
  s.set("token", std::monostate{}, ConfigMark{"a.yaml", 2, 3}, false, true);
  return s;
}

TEST_CASE("Settings typed access returns what was set") {
  const Settings s = sample_settings();
  CHECK(s.string("name") == "agent");
  CHECK(s.boolean("flag"));
  CHECK(s.integer("count") == -3);
  CHECK(s.duration("wait") == 1500ms);
  CHECK(s.size("limit") == 4096);
  CHECK(s.strings("paths") == std::vector<std::string>{"/a", "/b"});
  CHECK(s.section("storage").string("path") == "/var/lib/x");
  CHECK(s.section("storage").path() == "service.storage");
  CHECK(s.has("name"));
  CHECK_FALSE(s.has("token"));
  CHECK(s.given("name"));
  CHECK_FALSE(s.given("flag"));
  CHECK(s.entries().at("token").secret);
  CHECK(s.keys() == std::vector<std::string>{"name", "flag", "count", "wait", "limit", "paths",
                                             "storage", "token"});
}

TEST_CASE("Settings::set replaces a value without repeating the key") {
  Settings s("x", ConfigMark{"a.yaml", 1, 1});
  s.set("k", std::string("one"), ConfigMark{"a.yaml", 1, 1}, false, false);
  s.set("k", std::string("two"), ConfigMark{"a.yaml", 2, 1}, true, false);
  CHECK(s.string("k") == "two");
  CHECK(s.given("k"));
  CHECK(s.keys() == std::vector<std::string>{"k"});
}

TEST_CASE("Settings misuse is a logic_error, not a config error") {
  const Settings s = sample_settings();
  CHECK_THROWS_WITH_AS(s.string("nmae"), "setting 'service.nmae' is not declared",
                       std::logic_error);
  CHECK_THROWS_WITH_AS(s.has("nope"), "setting 'service.nope' is not declared", std::logic_error);
  CHECK_THROWS_WITH_AS(s.given("nope"), "setting 'service.nope' is not declared", std::logic_error);
  CHECK_THROWS_WITH_AS(s.integer("name"), "setting 'service.name' is not an integer",
                       std::logic_error);
  CHECK_THROWS_WITH_AS(s.boolean("count"), "setting 'service.count' is not a boolean",
                       std::logic_error);
  CHECK_THROWS_WITH_AS(s.size("wait"), "setting 'service.wait' is not a size", std::logic_error);
  CHECK_THROWS_WITH_AS(s.duration("limit"), "setting 'service.limit' is not a duration",
                       std::logic_error);
  CHECK_THROWS_WITH_AS(s.strings("name"), "setting 'service.name' is not a list", std::logic_error);
  CHECK_THROWS_WITH_AS(s.section("paths"), "setting 'service.paths' is not a section",
                       std::logic_error);
  CHECK_THROWS_WITH_AS(s.string("token"), "setting 'service.token' has no value; check has() first",
                       std::logic_error);
  CHECK_THROWS_AS(s.error("nope", "x"), std::logic_error);
}

TEST_CASE("Settings::error points at the key") {
  const Settings s = sample_settings();
  const ConfigError e = s.error("paths", "glob '/a' matches nothing");
  CHECK(std::string(e.what()) == "a.yaml:9:3: service.paths: glob '/a' matches nothing");
  CHECK(e.mark().line == 9);
  CHECK(e.key_path() == "service.paths");
  CHECK(e.message() == "glob '/a' matches nothing");
  CHECK(std::string(s.section("storage").error("path", "not writable").what()) ==
        "a.yaml:4:5: service.storage.path: not writable");
}

TEST_CASE("ConfigError formats FILE:LINE:COL: KEY_PATH: MESSAGE, without an empty key path") {
  CHECK(std::string(ConfigError({"f.yaml", 3, 7}, "pipeline.inputs[0]", "bad").what()) ==
        "f.yaml:3:7: pipeline.inputs[0]: bad");
  CHECK(std::string(ConfigError({"f.yaml", 0, 0}, "", "cannot read").what()) ==
        "f.yaml:0:0: cannot read");
}

}  // namespace
}  // namespace auditrelay
