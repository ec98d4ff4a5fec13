#include "plugins/out_splunk_hec/hec_settings.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

using namespace auditrelay;
using namespace auditrelay::splunk_hec;

namespace {

Settings settings(std::string url, bool ack = false, std::string compression = "none") {
  Settings s("pipeline.outputs[0]", ConfigMark{"agent.yaml", 3, 5});
  s.set("url", std::move(url), {}, true, false);
  s.set("token", std::string("11111111-2222-3333-4444-555555555555"), {}, true, true);
  s.set("fields", std::vector<std::string>{"policy.decision"}, {}, false, false);
  s.set("compression", std::move(compression), {}, false, false);
  s.set("index", std::monostate{}, {}, false, false);
  s.set("ack", ack, {}, true, false);
  s.set("ack_interval", std::chrono::milliseconds(1000), {}, false, false);
  s.set("ack_timeout", std::chrono::milliseconds(300'000), {}, false, false);
  s.set("ack_max_pending", int64_t{64}, {}, false, false);
  return s;
}

}  // namespace

TEST_CASE("the url must be http or https") {
  CHECK_THROWS_WITH_AS(validate(settings("splunk:8088")), doctest::Contains("url"), ConfigError);
  CHECK_THROWS_AS(validate(settings("ftp://splunk")), ConfigError);
}

TEST_CASE("acknowledgement settings: a timeout longer than the interval, a sane limit") {
  Settings s = settings("https://splunk:8088", true);
  s.set("ack_timeout", std::chrono::milliseconds(1000), {}, true, false);
  CHECK_THROWS_WITH_AS(validate(s), doctest::Contains("ack_timeout"), ConfigError);
  s = settings("https://splunk:8088", true);
  s.set("ack_interval", std::chrono::milliseconds(0), {}, true, false);
  CHECK_THROWS_WITH_AS(validate(s), doctest::Contains("ack_interval"), ConfigError);
  s = settings("https://splunk:8088", true);
  s.set("ack_max_pending", int64_t{0}, {}, true, false);
  CHECK_THROWS_WITH_AS(validate(s), doctest::Contains("ack_max_pending"), ConfigError);
}

TEST_CASE("headers: the token as Splunk authorization, gzip when configured") {
  auto headers = request_headers(settings("https://splunk:8088"));
  CHECK(headers ==
        std::vector<std::string>{"Content-Type: application/json",
                                 "Authorization: Splunk 11111111-2222-3333-4444-555555555555"});
  headers = request_headers(settings("https://splunk:8088", false, "gzip"));
  CHECK(std::find(headers.begin(), headers.end(), "Content-Encoding: gzip") != headers.end());
}

TEST_CASE("the event endpoint") {
  CHECK(event_url("https://splunk:8088") == "https://splunk:8088/services/collector/event");
  CHECK(event_url("https://splunk:8088/") == "https://splunk:8088/services/collector/event");
  CHECK(event_url("https://proxy/splunk") == "https://proxy/splunk/services/collector/event");
  CHECK(ack_url("https://splunk:8088/") == "https://splunk:8088/services/collector/ack");
}

TEST_CASE("the hostname default is not empty") {
  CHECK_FALSE(machine_hostname().empty());
}
