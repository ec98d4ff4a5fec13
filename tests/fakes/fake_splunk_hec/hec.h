// The state of one fake Splunk HTTP Event Collector, shared by its data and control APIs.
// Both run on the same loop thread, so nothing here is locked.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/fault_values.h"

namespace auditrelay::fakes::hec {

// One row of Splunk's HEC status table
// (https://docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector).
struct HecStatus {
  int code;
  int http_status;
  const char* text;
};
// nullptr for a code outside the table (0..24).
const HecStatus* hec_status(int code);

struct Faults {
  // Whole event requests: the next requests_count are answered with this HEC code, its HTTP
  // status from the table unless requests_status is set (429, say), and Retry-After.
  int requests_code = 9;
  int requests_status = 0;  // 0: the table's status for requests_code
  uint64_t requests_count = 0;
  std::string retry_after;      // "" for none
  uint64_t delay_ms = 0;        // before every event answer
  uint64_t drop_requests = 0;   // the next N event requests get no answer
  uint64_t max_body_bytes = 0;  // 0: no limit; measured on the wire (still compressed)
  // Events whose event.id is listed are refused with invalid_event_code (12 or 15).
  std::unordered_set<std::string> invalid_event_ids;
  int invalid_event_code = 12;
  int health_code = 17;  // 18, 19, 20: unhealthy (503)
  // Acknowledgement (with --ack): ready after ack_delay_ms; ack_out_of_order adds 200 ms to
  // even ackIds so that odd ones become ready first; a fraction ack_never_ratio of batches
  // is never acknowledged (drawn from the seeded generator).
  uint64_t ack_delay_ms = 0;
  bool ack_out_of_order = false;
  double ack_never_ratio = 0;
  uint64_t seed = 1;
};

// Applies the keys present in a /_fake/faults body; the rest stay. Returns an error message
// ("" when applied); a bad key changes nothing. A "seed" key reseeds `random`.
std::string apply_faults(std::string_view json, Faults& faults, Random& random);
std::string faults_json(const Faults& faults);

struct Options {  // the listening options are tests/fakes/fake_main.h's
  std::string token = "00000000-0000-0000-0000-000000000000";
  std::string indexes = "main,audit";  // allowed `index` values, comma-separated
  bool ack = false;                    // indexer acknowledgement enabled on the token
  size_t expect_events = 0;            // room made at start (benchmarks), see HecState
};

struct Stats {
  uint64_t requests = 0;                             // event requests
  std::map<std::string, uint64_t> requests_by_code;  // HEC code, or "dropped"
  uint64_t acks_polled = 0;                          // ack requests answered 200
  uint64_t events_received = 0;                      // parsed events, valid or not
  uint64_t bytes_received = 0;                       // event request bodies on the wire
  uint64_t never_acked_events = 0;
};

struct PendingAck {
  int64_t ready_at_ms = 0;  // steady clock
  bool never = false;
};

struct Channel {
  uint64_t next_ack_id = 0;
  std::map<uint64_t, PendingAck> pending;
};

// How many times each event id was indexed, in the order of first indexing. An open-addressing
// table over one buffer of id bytes: no allocation per id, one cache line per lookup.
class IdCounts {
 public:
  struct Entry {
    uint64_t offset;  // in bytes_
    uint32_t length;
    uint32_t count;
  };
  IdCounts();
  void add(std::string_view id);
  void clear();
  // Sizes the table for `ids` ids and touches its pages now: adding them later then neither
  // rehashes nor faults pages in (several µs each on a VM).
  void reserve(size_t ids);
  const std::vector<Entry>& entries() const { return entries_; }  // first-indexed order
  std::string_view id(const Entry& entry) const {
    return {bytes_.data() + entry.offset, entry.length};
  }

 private:
  void grow();

  std::string bytes_;
  std::vector<Entry> entries_;
  // 0: empty; else the hash's upper 32 bits, then the entry's index + 1 in the lower 32.
  std::vector<uint64_t> slots_;
};

struct HecState {
  explicit HecState(const Options& o);
  void reset();  // events, ids, statistics and channels; faults stay

  Options options;
  std::unordered_set<std::string> allowed_indexes;
  Faults faults;
  Random random;
  Stats stats;
  uint64_t indexed = 0;
  IdCounts ids;
  // The last kMaxEvents envelopes, kept as the bytes received, copied one after the other into
  // chunks of kChunkBytes that are recycled as the oldest events go. /_fake/events
  // re-serializes them when asked, so that storing an event costs no parsing or allocation.
  struct StoredChunk {
    struct Free {
      void operator()(char* p) const;
    };
    std::unique_ptr<char[], Free> bytes;  // kChunkBytes-aligned, in transparent huge pages
    size_t size = 0;
    size_t used = 0;
  };
  struct StoredEvent {
    uint64_t chunk;  // sequence number of its chunk: chunks[chunk - first_chunk]
    size_t offset;
    size_t length;
    bool never_acked;  // gets "_fake_never_acked":true
  };
  std::deque<StoredChunk> chunks;
  uint64_t first_chunk = 0;
  std::vector<StoredChunk> spare_chunks;
  size_t max_spare_chunks = kMaxSpareChunks;  // more with expect_events: all are kept
  std::deque<StoredEvent> events;
  // Stores the events at these (offset, length) extents of `body`, then drops the oldest
  // beyond kMaxEvents.
  void store(std::string_view body, bool never_acked,
             const std::vector<std::pair<size_t, size_t>>& extents);
  // The stored envelopes, one compact JSON line each, oldest first.
  std::string events_ndjson() const;
  std::unordered_map<std::string, Channel> channels;
  // Set by main: connections accepted on the data port, and the down-then-up fault.
  std::function<uint64_t()> data_connections;
  std::function<void(uint64_t ms)> go_down;

  static constexpr size_t kMaxEvents = 100000;
  static constexpr size_t kChunkBytes = size_t{2} << 20;  // a huge page
  static constexpr size_t kMaxSpareChunks = 4;
  static constexpr size_t kExpectedEventBytes = 1280;  // a benchmark's envelope, with room
  static StoredChunk new_chunk(size_t size);
};

// A HEC JSON answer: {"text":..,"code":..} plus invalid-event-number (>= 0) or ackId.
FakeResponse hec_response(int code, int64_t invalid_event_number = -1, int64_t ack_id = -1,
                          int http_status = 0, const std::string& text = "");

// The data port: /services/collector/event[/1.0], /ack[/1.0], /health[/1.0].
class EventReader;

class DataApi {
 public:
  explicit DataApi(HecState& state);
  ~DataApi();
  void handle(const http::Request& request, const FakeRespond& respond);

 private:
  FakeResponse event(const http::Request& request);
  FakeResponse ack(const http::Request& request);
  FakeResponse answer(int code, int64_t invalid_event_number = -1, int64_t ack_id = -1);
  std::optional<FakeResponse> check_token(const http::Request& request);
  // The channel of a request; sets *error when it is absent (10) or not a GUID (11).
  std::string channel(const http::Request& request, std::optional<FakeResponse>* error);

  HecState& state_;
  std::string inflated_;
  std::unique_ptr<EventReader> events_;             // of the request's body
  std::vector<std::pair<size_t, size_t>> extents_;  // of the accepted events in the body
  int last_code_ = -1;  // the HEC code of the answer being built, for requests_by_code
};

// The control port (tests only): faults, down, reset, stats, ids, events.
class ControlApi {
 public:
  explicit ControlApi(HecState& state) : state_(state) {}
  void handle(const http::Request& request, const FakeRespond& respond);

 private:
  FakeResponse route(const http::Request& request);

  HecState& state_;
};

}  // namespace auditrelay::fakes::hec
