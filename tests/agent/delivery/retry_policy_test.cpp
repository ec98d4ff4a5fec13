#include "agent/delivery/retry_policy.h"

#include <doctest/doctest.h>

using namespace auditrelay::delivery;
using std::chrono::milliseconds;

namespace {

// A fixed "random" draw, so every delay is exact.
RetryPolicy policy_drawing(double draw, RetrySettings s = {}) {
  return RetryPolicy(s, [draw] { return draw; });
}

Clock::time_point at(std::time_t t) {
  return Clock::from_time_t(t);
}

}  // namespace

TEST_CASE("full jitter: a uniform draw under a doubling ceiling, capped at retry.max") {
  RetrySettings s;
  s.initial = milliseconds(100);
  s.max = milliseconds(1000);
  auto top = policy_drawing(0.999999, s);
  CHECK(top.delay(1, std::nullopt) == milliseconds(99));
  CHECK(top.delay(2, std::nullopt) == milliseconds(199));
  CHECK(top.delay(4, std::nullopt) == milliseconds(799));
  CHECK(top.delay(5, std::nullopt) == milliseconds(999));     // capped
  CHECK(top.delay(1000, std::nullopt) == milliseconds(999));  // no overflow
  auto half = policy_drawing(0.5, s);
  CHECK(half.delay(3, std::nullopt) == milliseconds(200));
  auto zero = policy_drawing(0.0, s);
  CHECK(zero.delay(3, std::nullopt) == milliseconds(0));
}

TEST_CASE("Retry-After is a floor, capped by retry.max_retry_after") {
  RetrySettings s;
  s.initial = milliseconds(100);
  s.max_retry_after = milliseconds(10'000);
  auto p = policy_drawing(0.5, s);
  CHECK(p.delay(1, milliseconds(2000)) == milliseconds(2000));         // the server asked for more
  CHECK(p.delay(8, milliseconds(2000)) == milliseconds(6400));         // the backoff is longer
  CHECK(p.delay(1, milliseconds(3'600'000)) == milliseconds(10'000));  // capped
}

TEST_CASE("Retry-After: delta-seconds") {
  auto now = at(1'700'000'000);
  CHECK(parse_retry_after("2", now) == milliseconds(2000));
  CHECK(parse_retry_after(" 120 ", now) == milliseconds(120'000));
  CHECK(parse_retry_after("0", now) == milliseconds(0));
  CHECK(parse_retry_after("99999999999999999999999", now).has_value());  // huge, not an error
}

TEST_CASE("Retry-After: HTTP-date, relative to now") {
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
  auto now = at(1'445'412'480 - 30);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == milliseconds(30'000));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", at(1'445'412'480 + 5)) ==
        milliseconds(0));  // in the past: no wait
}

TEST_CASE("Retry-After: anything else is ignored") {
  auto now = at(1'700'000'000);
  CHECK_FALSE(parse_retry_after("", now).has_value());
  CHECK_FALSE(parse_retry_after("soon", now).has_value());
  CHECK_FALSE(parse_retry_after("-5", now).has_value());
  CHECK_FALSE(parse_retry_after("1.5", now).has_value());
}

TEST_CASE("max_duration: retry forever by default, else give up once it has passed") {
  auto forever = policy_drawing(0.5);
  CHECK_FALSE(forever.exhausted(at(0), at(10'000'000)));
  RetrySettings s;
  s.max_duration = milliseconds(60'000);
  auto bounded = policy_drawing(0.5, s);
  CHECK_FALSE(bounded.exhausted(at(1000), at(1059)));
  CHECK(bounded.exhausted(at(1000), at(1060)));
}

TEST_CASE("retryable statuses by default") {
  for (int s : {408, 429, 500, 502, 503, 504, 599})
    CHECK(retryable_by_default(s));
  for (int s : {200, 400, 401, 403, 404, 409, 413, 501, 505})
    CHECK_FALSE(retryable_by_default(s));
}
