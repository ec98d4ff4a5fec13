// Generated audit records of both gateway schemas, each carrying a unique marker, and the
// ledger of the markers the runner has handed to the agent for good (written to a tailed file,
// or accepted with a 2xx by the HTTP input).
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace auditrelay::chaos {

// Makes records. Not thread-safe: one factory per writer thread.
class RecordFactory {
 public:
  // `prefix` makes the markers of this factory unique within the scenario ("t0", "h1").
  RecordFactory(std::string prefix, uint32_t seed);

  struct Record {
    std::string marker;
    std::string line;  // one JSON object, no newline
  };
  // A policy_gateway or a governance_audit record, about half of each. Some carry their own id
  // (governance_audit always does); the others get a derived id from the agent (MAPPING.md §4).
  Record next();

 private:
  Record policy_gateway(const std::string& marker);
  Record governance_audit(const std::string& marker);
  std::string timestamp();
  std::string random_hex(size_t digits);

  std::string prefix_;
  std::mt19937 random_;
  uint64_t seq_ = 0;
};

// The JSON name of the marker field: unknown to both schemas, so it lands in
// policy.unmapped.chaos_marker of every document.
inline constexpr const char* kMarkerField = "chaos_marker";

// Markers handed over for good, from any thread.
class Ledger {
 public:
  void add(const std::vector<std::string>& markers);
  std::vector<std::string> markers() const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> markers_;
};

}  // namespace auditrelay::chaos
