// What the engine drives for each output, whichever way it delivers: OutputDriver for outputs
// that write themselves (stdout, file), delivery::BatchDriver for network outputs.
#pragma once

#include <functional>

namespace auditrelay {

class OutputRunner {
 public:
  virtual ~OutputRunner() = default;
  // Starts delivering from the output's cursor.
  virtual void start() = 0;
  // New records were appended to the queue.
  virtual void wake() = 0;
  // Stops: calls `done` once the requests or write under way are finished and committed, or,
  // with `until_caught_up` (run --once), once the output has caught up with the queue. What is
  // left stays in the queue for the next start; nothing new is read after `done`.
  virtual void drain(std::function<void()> done, bool until_caught_up) = 0;
};

}  // namespace auditrelay
