#include "agent/core/health.h"

#include <doctest/doctest.h>

#include "agent/core/listen_address.h"

using namespace auditrelay;
using namespace std::chrono_literals;

namespace {

struct Clock {
  Health::Clock::time_point now = Health::Clock::time_point(1000s);
  std::function<Health::Clock::time_point()> fn() {
    return [this] { return now; };
  }
};

}  // namespace

TEST_CASE("healthy until a condition is set; a failing output counts after its grace") {
  Clock clock;
  Health health(HealthSettings{.output_failing_after = 60s}, clock.fn());
  Health::Condition& es = health.condition("output es", Health::Kind::kOutputFailing);
  CHECK(health.report().ok);

  es.set("connection refused");
  clock.now += 59s;
  CHECK(health.report().ok);  // not yet: a short outage is not worth a page
  REQUIRE(health.states().size() == 1);
  CHECK(health.states()[0].set);
  CHECK(health.states()[0].reason == "connection refused");
  const auto retry = std::chrono::system_clock::time_point(1'700'000'000s);
  es.retry_at(retry);
  CHECK(health.states()[0].retry_at == retry);

  clock.now += 66s;  // 2m05s since the first failure; the reason is the latest one
  es.set("HTTP 503");
  Health::Report report = health.report();
  CHECK_FALSE(report.ok);
  REQUIRE(report.reasons.size() == 1);
  CHECK(report.reasons[0] == "output es: failing for 2m05s: HTTP 503");

  es.clear();
  CHECK(health.report().ok);
  // Cleared: no retry pending, the last error still there for status pages.
  REQUIRE(health.states().size() == 1);
  CHECK_FALSE(health.states()[0].set);
  CHECK(health.states()[0].reason == "HTTP 503");
  CHECK_FALSE(health.states()[0].retry_at);
  es.retry_at(retry);  // a retry is only known while the condition is set
  CHECK_FALSE(health.states()[0].retry_at);
}

TEST_CASE("a disabled output and a full buffer count at once") {
  Clock clock;
  Health health({}, clock.fn());
  health.condition("output hook", Health::Kind::kOutputDisabled).set("410 Gone");
  health.condition("buffer", Health::Kind::kBufferFull).set("");
  clock.now += 3h + 2min;
  Health::Report report = health.report();
  CHECK_FALSE(report.ok);
  CHECK(report.reasons == std::vector<std::string>{"output hook: disabled for 3h02m: 410 Gone",
                                                   "buffer: full for 3h02m"});
}

TEST_CASE("listen addresses: host:port, [v6]:port, bare port on 127.0.0.1; others refused") {
  auto parsed = [](std::string_view text) {
    std::optional<ListenAddress> a = parse_listen_address(text);
    return a ? a->host + " " + std::to_string(a->port) : std::string("invalid");
  };
  CHECK(parsed("0.0.0.0:2020") == "0.0.0.0 2020");
  CHECK(parsed("2020") == "127.0.0.1 2020");
  CHECK(parsed(":0") == "127.0.0.1 0");
  CHECK(parsed("[::1]:9090") == "::1 9090");
  CHECK(parsed("localhost:65535") == "localhost 65535");
  for (const char* bad : {"", "127.0.0.1:", "127.0.0.1:http", "1.2.3.4:70000", "::1:80", "[::1",
                          "[]:80", "127.0.0.1:-1", "x:123456"}) {
    CAPTURE(bad);
    CHECK(parsed(bad) == "invalid");
  }
}
