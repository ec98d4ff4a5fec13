// How an output's failures read in the log: the first failed attempt of a streak is logged
// (with the plugin's alert, and again whenever the alert changes), the others are not, and the
// recovery is logged once. A receiver down for hours fills no log.
#pragma once

#include <cstdint>
#include <string>

#include "agent/core/log.h"
#include "agent/delivery/batch_output.h"

namespace auditrelay::delivery {

// The first item answered "retry", when the response had items; else null.
const ItemOutcome* first_retried(const Outcome& outcome);

class FailureStreak {
 public:
  explicit FailureStreak(const Logger& log) : log_(log) {}

  void failed(const Outcome& outcome);
  void succeeded();

 private:
  const Logger& log_;
  uint64_t failed_attempts_ = 0;
  std::string last_alert_;
};

}  // namespace auditrelay::delivery
