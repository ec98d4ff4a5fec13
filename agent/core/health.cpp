#include "agent/core/health.h"

#include "agent/core/human_format.h"

namespace auditrelay {

Health::Health(HealthSettings settings, std::function<Clock::time_point()> now)
    : settings_(settings), now_(now ? std::move(now) : [] { return Clock::now(); }) {}

void Health::Condition::set(std::string reason) {
  std::lock_guard lock(health_->mutex_);
  if (!set_) {
    set_ = true;
    since_ = health_->now_();
  }
  reason_ = std::move(reason);
  last_set_ = std::chrono::system_clock::now();
}

void Health::Condition::retry_at(std::chrono::system_clock::time_point when) {
  std::lock_guard lock(health_->mutex_);
  if (set_) retry_at_ = when;
}

void Health::Condition::clear() {
  std::lock_guard lock(health_->mutex_);
  set_ = false;
  retry_at_.reset();
}

Health::Condition& Health::condition(std::string subject, Kind kind) {
  std::lock_guard lock(mutex_);
  return conditions_.emplace_back(Condition(this, std::move(subject), kind));
}

Health::Report Health::report() const {
  std::lock_guard lock(mutex_);
  const Clock::time_point now = now_();
  Report report;
  for (const Condition& c : conditions_) {
    if (!c.set_) continue;
    const auto lasted = std::chrono::duration_cast<std::chrono::seconds>(now - c.since_);
    std::string what;
    switch (c.kind_) {
      case Kind::kOutputFailing:
        if (now - c.since_ < settings_.output_failing_after) continue;
        what = "failing for " + human_duration(lasted.count());
        break;
      case Kind::kOutputDisabled:
        what = "disabled for " + human_duration(lasted.count());
        break;
      case Kind::kBufferFull:
        what = "full for " + human_duration(lasted.count());
        break;
    }
    report.ok = false;
    report.reasons.push_back(c.subject_ + ": " + what +
                             (c.reason_.empty() ? "" : ": " + c.reason_));
  }
  return report;
}

std::vector<Health::State> Health::states() const {
  std::lock_guard lock(mutex_);
  const Clock::time_point now = now_();
  std::vector<State> out;
  for (const Condition& c : conditions_) {
    if (!c.set_ && c.reason_.empty()) continue;
    State& state = out.emplace_back();
    state.subject = c.subject_;
    state.kind = c.kind_;
    state.set = c.set_;
    if (c.set_) state.lasted = std::chrono::duration_cast<std::chrono::seconds>(now - c.since_);
    state.reason = c.reason_;
    state.reason_at = c.last_set_;
    state.retry_at = c.retry_at_;
  }
  return out;
}

}  // namespace auditrelay
