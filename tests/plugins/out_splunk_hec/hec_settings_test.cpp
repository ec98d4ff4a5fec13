#include "plugins/out_splunk_hec/hec_settings.h"

#include <doctest/doctest.h>

#include <algorithm>

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
  return s;
}

}  // namespace

TEST_CASE("the url must be http or https") {
  CHECK_THROWS_WITH_AS(validate(settings("splunk:8088")), doctest::Contains("url"), ConfigError);
  CHECK_THROWS_AS(validate(settings("ftp://splunk")), ConfigError);
}

TEST_CASE("ack: true is refused for now") {
  CHECK_THROWS_WITH_AS(validate(settings("https://splunk:8088", true)),
                       doctest::Contains("true is not supported yet"), ConfigError);
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
}

TEST_CASE("the hostname default is not empty") {
  CHECK_FALSE(machine_hostname().empty());
}
