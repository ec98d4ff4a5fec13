// How an output's failures read in the log: the first failed attempt of a streak is logged
// (with the plugin's alert, and again whenever the alert changes), the others are not, and the
// recovery is logged once. A receiver down for hours fills no log. A streak also sets the
// output's health condition (when given), with the latest error as its reason.
#pragma once

#include <cstdint>
#include <string>

#include "agent/core/health.h"
#include "agent/core/log.h"
#include "agent/delivery/batch_output.h"
#include "agent/delivery/retry_policy.h"

namespace auditrelay::delivery {

// The first item answered "retry", when the response had items; else null.
const ItemOutcome* first_retried(const Outcome& outcome);

class FailureStreak {
 public:
  explicit FailureStreak(const Logger& log, Health::Condition* health = nullptr)
      : log_(log), health_(health) {}

  void failed(const Outcome& outcome);
  // The failed work goes again at `when` (shown on the status page while the streak lasts).
  void retrying_at(Clock::time_point when);
  void succeeded();

 private:
  const Logger& log_;
  Health::Condition* health_;
  uint64_t failed_attempts_ = 0;
  std::string last_alert_;
};

}  // namespace auditrelay::delivery
