// The events of one HEC request body, read one after the other and checked as HEC checks an
// envelope. simdjson parses them (a document stream over the body); a rapidjson SAX scan, the
// reference for every answer, takes over wherever simdjson's verdict could differ from it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

namespace auditrelay::fakes::hec {

class EventReader {
 public:
  struct Event {
    int code = 0;         // 0: valid; else its HEC code (6, 7, 12, 13 or 15)
    size_t offset = 0;    // of its first byte in the body
    size_t length = 0;    // of a valid event's JSON text
    std::string_view id;  // a valid event's event.event.id or event.id; "" when none
  };

  EventReader();
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Starts on a body (copied) whose events may name these indexes (kept by reference).
  void start(const std::string& body, const std::unordered_set<std::string>& allowed_indexes);
  // The next event, skipping whitespace; false at the end of the body. Events are concatenated
  // JSON values, so an invalid one (code != 0) ends the reading: its extent is unknown.
  bool next(Event& event);

 private:
  struct Parsers;
  void stream_from(size_t pos);  // simdjson's document stream over the body from pos
  void next_slow(Event& event);  // the reference scan of the event at pos_

  std::unique_ptr<Parsers> parsers_;
  std::string buffer_;  // the body, NUL-terminated and padded as simdjson requires
  const std::unordered_set<std::string>* allowed_indexes_ = nullptr;
  size_t pos_ = 0;
  bool streaming_ = false;  // simdjson's stream may hold the document at pos_
  size_t stream_base_ = 0;  // where the stream starts in the body
  int restarts_left_ = 0;
  std::string id_;
  std::string index_;
};

}  // namespace auditrelay::fakes::hec
