#include "agent/delivery/cursor_saver.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "agent/core/local_backoff.h"
#include "agent/loop/handle.h"

namespace auditrelay::delivery {

CursorSaver::CursorSaver(uv_loop_t* loop, std::string output, buffer::DiskQueue& queue, Logger& log,
                         std::function<void()> settled)
    : loop_(loop),
      output_(std::move(output)),
      queue_(queue),
      log_(log),
      settled_(std::move(settled)),
      timer_(loop) {}

void CursorSaver::save(uint64_t next_seq, bool at_once) {
  wanted_ = std::max(wanted_, next_seq);
  at_once_ = at_once_ || at_once;
  // Waiting for the interval (not for a retry's pause) ends when it should not be waited for.
  if (timer_.active() && failures_ == 0 && (too_many_unsaved() || at_once_)) timer_.stop();
  if (saving_ || timer_.active() || wanted_ <= saved_) return;
  const uint64_t now = uv_now(loop_);
  if (!at_once_ && last_ms_ && now < *last_ms_ + kIntervalMs && !too_many_unsaved()) {
    timer_.start(*last_ms_ + kIntervalMs - now, 0, [this] { save(wanted_, false); });
    return;
  }
  last_ms_ = now;
  saving_ = true;
  at_once_ = false;
  const uint64_t target = wanted_;
  auto error = std::make_shared<std::string>();
  loop::queue_work(
      loop_, [this, target, error] { *error = queue_.commit(output_, target); },
      [this, target, error](const std::string& thrown) {
        saving_ = false;
        std::string failure = thrown.empty() ? *error : thrown;
        if (!failure.empty()) {
          uint64_t delay_ms = next_local_backoff_ms(failures_);
          log_.error("cannot save the buffer cursor; will retry",
                     {{"error", failure}, {"retry_in_ms", delay_ms}});
          timer_.start(delay_ms, 0, [this] { save(wanted_, false); });
        } else {
          failures_ = 0;
          saved_ = target;
          save(wanted_, false);  // what was delivered meanwhile, in its turn
        }
        settled_();
      });
}

}  // namespace auditrelay::delivery
