// Whether the agent is healthy, for GET /api/v1/health: the parts that know set and clear
// conditions (an output failing, a webhook endpoint gone, the buffer full); a condition counts
// once it has lasted its kind's grace period. Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace auditrelay {

struct HealthSettings {
  // How long an output must fail every attempt before it makes the agent unhealthy.
  std::chrono::milliseconds output_failing_after{std::chrono::minutes(1)};
};

class Health {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Kind {
    kOutputFailing,   // every attempt failing: counts after `output_failing_after`
    kOutputDisabled,  // it stopped sending (a webhook endpoint answered 410): at once
    kBufferFull,      // storage.max_bytes reached with when_full: block; inputs paused: at once
  };

  class Condition {
   public:
    // Sets the condition (the time it was first set is kept) with why, e.g. "connection
    // refused"; the reason is replaced while it stays set.
    void set(std::string reason);
    // When the failing work is tried again (an output's next attempt), while set.
    void retry_at(std::chrono::system_clock::time_point when);
    // Clears it; its last reason stays known (State::reason) for status pages.
    void clear();

   private:
    friend class Health;
    Condition(Health* health, std::string subject, Kind kind)
        : health_(health), subject_(std::move(subject)), kind_(kind) {}
    Health* health_;
    std::string subject_;  // "output es", "buffer"
    Kind kind_;
    bool set_ = false;
    Clock::time_point since_{};
    std::string reason_;
    std::optional<std::chrono::system_clock::time_point> retry_at_;
    std::chrono::system_clock::time_point last_set_{};  // when reason_ was last given
  };

  struct Report {
    bool ok = true;
    std::vector<std::string> reasons;  // "output es: failing for 2m05s: connection refused"
  };

  explicit Health(HealthSettings settings = {}, std::function<Clock::time_point()> now = {});
  Health(const Health&) = delete;
  Health& operator=(const Health&) = delete;

  // A condition for `subject`; the reference stays valid for the Health's lifetime.
  Condition& condition(std::string subject, Kind kind);
  Report report() const;

  // Every condition that is set now (counted or not yet) or was set before, for status pages.
  struct State {
    std::string subject;
    Kind kind;
    bool set = false;
    std::chrono::seconds lasted{0};  // while set
    std::string reason;              // the latest, kept after a clear
    std::chrono::system_clock::time_point reason_at{};
    std::optional<std::chrono::system_clock::time_point> retry_at;  // while set, if known
  };
  std::vector<State> states() const;

 private:
  HealthSettings settings_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mutex_;
  std::deque<Condition> conditions_;
};

}  // namespace auditrelay
