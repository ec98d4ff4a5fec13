// A client of the agent's HTTP input: posts bodies of generated records (NDJSON, a JSON array,
// sometimes gzip) at a set pace and sends each body again, byte for byte, until the agent
// answers 2xx: after a 503 (full buffer) once its Retry-After has passed, after a refused or
// broken connection (the agent killed, restarting, reloading) as soon as it listens again. The
// same body gives the same record ids, so a body the agent had already made durable before
// the connection broke is not indexed twice.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/chaos/agent_runner.h"
#include "tests/chaos/records.h"

namespace auditrelay::chaos {

struct HttpSenderStats {
  uint64_t bodies = 0;              // accepted
  uint64_t records = 0;             // in accepted bodies
  uint64_t refused_503 = 0;         // answers 503 (each followed by the same body again)
  uint64_t resent_after_error = 0;  // the same body again after a connection error
  double longest_answer_s = 0;      // the longest time one POST waited for its answer
  uint64_t given_up = 0;            // bodies never accepted before the deadline (a failure)
  std::string unexpected;           // the first answer that is neither 2xx nor 503
};

class HttpSender {
 public:
  // `records_per_second` in bodies of `records_per_body`.
  HttpSender(AgentRunner& agent, Ledger& ledger, std::string prefix, uint32_t seed,
             double records_per_second, int records_per_body);
  ~HttpSender();

  void start();
  // No new bodies; the one under way is sent until accepted (or `deadline` passes).
  void finish(std::chrono::steady_clock::time_point deadline);
  HttpSenderStats stats() const;

 private:
  void run();
  void send_loop();
  std::string make_body(std::vector<std::string>& markers, std::vector<std::string>& headers);
  bool deliver(const std::string& body, const std::vector<std::string>& headers);
  void note_answer_time(std::chrono::steady_clock::duration waited);
  bool record_outcome(bool accepted, const std::vector<std::string>& markers);

  AgentRunner& agent_;
  Ledger& ledger_;
  RecordFactory factory_;
  std::mt19937 shape_random_;
  double records_per_second_;
  int records_per_body_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> deadline_ns_{INT64_MAX};
  std::thread thread_;
  mutable std::mutex mu_;
  HttpSenderStats stats_;
};

}  // namespace auditrelay::chaos
