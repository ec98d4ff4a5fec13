// The one retry policy of every network output (STYLE.md §3): capped exponential backoff with
// full jitter, a Retry-After header as a floor (capped), and an optional give-up duration.
// Clock and randomness are injected so tests are exact. Outputs never sleep or count retries;
// they return a verdict and the delivery machinery asks this policy when to try again.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

namespace auditrelay::delivery {

using Clock = std::chrono::system_clock;
using Milliseconds = std::chrono::milliseconds;

struct RetrySettings {
  Milliseconds initial{500};                 // retry.initial
  Milliseconds max{60'000};                  // retry.max: cap of the exponential part
  Milliseconds max_retry_after{300'000};     // retry.max_retry_after: cap of a server's ask
  std::optional<Milliseconds> max_duration;  // retry.max_duration: unset = retry forever
};

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015
// 07:28:00 GMT", read with libcurl's curl_getdate), as a delay from `now`. A date in the past
// is a zero delay; anything unparsable is nullopt (and ignored by the policy).
// https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
std::optional<Milliseconds> parse_retry_after(std::string_view value, Clock::time_point now);

// The HTTP statuses retried by default: 408, 429 and every 5xx except 501 and 505 (which a
// retry cannot fix).
bool retryable_by_default(int status);

class RetryPolicy {
 public:
  // `random` returns a uniform value in [0, 1).
  RetryPolicy(RetrySettings settings, std::function<double()> random);

  // The delay before the next attempt after `failures` consecutive failures (1 for the first):
  // uniform in [0, min(max, initial * 2^(failures-1))] ("full jitter",
  // https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), but never
  // less than the server's Retry-After (itself capped at max_retry_after).
  Milliseconds delay(unsigned failures, std::optional<Milliseconds> retry_after) const;

  // True once retrying should stop (max_duration set and passed since the first attempt):
  // the records are then dead-lettered.
  bool exhausted(Clock::time_point first_attempt, Clock::time_point now) const;

  const RetrySettings& settings() const { return settings_; }

 private:
  RetrySettings settings_;
  std::function<double()> random_;
};

}  // namespace auditrelay::delivery
