// Splunk HEC indexer acknowledgement, the parts that need no network (STYLE.md §9):
// with `ack: true` every request names the output's channel (X-Splunk-Request-Channel, a GUID
// kept under the storage path), HEC answers {"text":"Success","code":0,"ackId":N}, and the
// events are only safe once POST /services/collector/ack {"acks":[N,..]} answers
// {"acks":{"N":true,..}}. PendingAcks is the bookkeeping of the requests in between.
// https://docs.splunk.com/Documentation/Splunk/latest/Data/AboutHECIDXAck
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/delivery/batch_output.h"

namespace auditrelay::splunk_hec {

// A random (version 4) GUID, 8-4-4-4-12 lowercase hex digits.
std::string random_guid();

// The channel kept in `file`: read back when it holds a GUID, else a new one written there
// (atomically). Throws std::runtime_error when it cannot be written.
std::string load_or_create_channel(const std::filesystem::path& file);

// The "ackId" of an event response, if it has one.
std::optional<uint64_t> ack_id_of(const std::string& body);

// The ids answered true by an ack response ({"acks":{"0":true,"1":false}}); nullopt when the
// body is not such an object.
std::optional<std::vector<uint64_t>> acknowledged_ids(const std::string& body);

class PendingAcks {
 public:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(delivery::Outcome)>;
  // Callbacks to run once the bookkeeping is done (they may send again, which adds here).
  using Actions = std::vector<std::function<void()>>;

  // A request HEC accepted with `ack_id`. A request still waiting under the same id (HEC
  // restarted and counts from 0 again) can no longer be told apart: it is sent again.
  Actions add(uint64_t ack_id, Done done, Clock::time_point now);

  // {"acks":[..]} of every id waiting.
  std::string poll_body() const;

  // The ids HEC acknowledged: their requests are delivered.
  Actions acknowledged(const std::vector<uint64_t>& ids, size_t* count = nullptr);

  // Requests waiting since before now - timeout are given up on: their events are sent again.
  Actions expire(Clock::time_point now, Clock::duration timeout, size_t* count = nullptr);

  bool empty() const { return waiting_.empty(); }
  size_t size() const { return waiting_.size(); }

 private:
  struct Waiting {
    Done done;
    Clock::time_point sent;
  };

  // Removes a request and settles it with `outcome`.
  void settle(std::map<uint64_t, Waiting>::iterator it, delivery::Outcome outcome,
              Actions& actions);
  static delivery::Outcome timed_out(std::string reason);

  std::map<uint64_t, Waiting> waiting_;
};

}  // namespace auditrelay::splunk_hec
