#include "agent/delivery/failure_streak.h"

namespace auditrelay::delivery {

const ItemOutcome* first_retried(const Outcome& outcome) {
  for (const ItemOutcome& item : outcome.items) {
    if (item.verdict == Verdict::kRetry) return &item;
  }
  return nullptr;
}

void FailureStreak::failed(const Outcome& o) {
  const ItemOutcome* item = first_retried(o);
  if (health_ != nullptr) {
    auto error = [](const std::string& type, const std::string& reason) {
      return reason.empty() ? type : type + ": " + reason;
    };
    std::string why = !o.alert.empty()  ? o.alert
                      : item != nullptr ? error(item->error_type, item->reason)
                                        : error(o.error_type, o.reason);
    health_->set(std::move(why));
  }
  const bool new_alert = !o.alert.empty() && o.alert != last_alert_;
  if (failed_attempts_++ > 0 && !new_alert) return;  // once per streak
  last_alert_ = o.alert;
  if (!o.alert.empty()) {
    log_.error(o.alert, {{"status", o.status}, {"reason", o.reason}});
  }
  // What to say about the attempt: the first retried item's error, else the request's.
  log_.warn("delivery failing; retrying with backoff (logged again when it recovers)",
            {{"status", item != nullptr ? item->status : o.status},
             {"error_type", item != nullptr ? item->error_type : o.error_type},
             {"reason", item != nullptr ? item->reason : o.reason},
             {"retry_after", o.retry_after}});
}

void FailureStreak::retrying_at(Clock::time_point when) {
  if (health_ != nullptr) health_->retry_at(when);
}

void FailureStreak::succeeded() {
  if (failed_attempts_ == 0) return;
  if (health_ != nullptr) health_->clear();
  log_.info("delivering again", {{"failed_attempts", failed_attempts_}});
  failed_attempts_ = 0;
  last_alert_.clear();
}

}  // namespace auditrelay::delivery
