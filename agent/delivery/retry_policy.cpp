#include "agent/delivery/retry_policy.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace auditrelay::delivery {

std::optional<Milliseconds> parse_retry_after(std::string_view value, Clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    uint64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return Milliseconds::max();  // too large to represent: as long as allowed
    }
    constexpr uint64_t kMaxSeconds = 100ull * 365 * 24 * 3600;
    return Milliseconds(std::min(seconds, kMaxSeconds) * 1000);
  }
  std::string text(value);
  time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  auto at = Clock::from_time_t(when);
  if (at <= now) return Milliseconds(0);
  return std::chrono::duration_cast<Milliseconds>(at - now);
}

bool retryable_by_default(int status) {
  if (status == 408 || status == 429) return true;
  return status >= 500 && status <= 599 && status != 501 && status != 505;
}

RetryPolicy::RetryPolicy(RetrySettings settings, std::function<double()> random)
    : settings_(settings), random_(std::move(random)) {}

Milliseconds RetryPolicy::delay(unsigned failures, std::optional<Milliseconds> retry_after) const {
  // initial * 2^(failures-1), computed in double so large failure counts cannot overflow.
  double ceiling = static_cast<double>(settings_.initial.count()) *
                   std::pow(2.0, static_cast<double>(std::max(failures, 1u) - 1));
  ceiling = std::min(ceiling, static_cast<double>(settings_.max.count()));
  auto backoff = Milliseconds(static_cast<int64_t>(std::floor(random_() * ceiling)));
  if (!retry_after) return backoff;
  Milliseconds floor = std::min(*retry_after, settings_.max_retry_after);
  return std::max(backoff, floor);
}

bool RetryPolicy::exhausted(Clock::time_point first_attempt, Clock::time_point now) const {
  return settings_.max_duration && now - first_attempt >= *settings_.max_duration;
}

}  // namespace auditrelay::delivery
