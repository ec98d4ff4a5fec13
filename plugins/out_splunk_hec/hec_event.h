// The HEC /services/collector/event body: one JSON event per document, events separated by
// "\n" (HEC's batch form, not a JSON array). Pure (STYLE.md §9).
// https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector
//
//   {"time":1737051731.123,"host":..,"source":..,"sourcetype":..,"index":..,
//    "event":<the document>,"fields":{"policy.decision":"deny",...}}
//
// - time: the document's @timestamp (RFC 3339) as epoch seconds with milliseconds; left out
//   when the document has none or it cannot be read, so HEC uses the time it received it.
// - index: only when configured (else the token's default index).
// - fields (indexed fields): each configured path present in the document, named by its full
//   dotted path ("policy.decision", not "decision", so two paths never collide). Strings as
//   they are, numbers and booleans as their JSON text, arrays as arrays of such strings;
//   objects and nulls are left out (HEC accepts only strings and arrays of strings). Left out
//   entirely when no path is present. A path is looked up through nested objects first
//   ({"policy":{"decision":..}}); only when some path is not there that way are keys holding
//   dots ("policy.decision") or escapes considered, and then the first occurrence counts.
// - event: the document as is; one that is not valid JSON is sent as a JSON string instead so
//   the rest of the batch is not refused with it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/document.h"

namespace auditrelay::splunk_hec {

struct EventMetadata {
  std::string host;
  std::string source;
  std::string sourcetype;
  std::string index;                // empty: the token's default
  std::vector<std::string> fields;  // dotted document paths
};

class EventEncoder {
 public:
  explicit EventEncoder(EventMetadata metadata);

  // Appends the events of batch[i], i in `items`, in that order, "\n" between them.
  void append_body(const DocumentBatch& batch, std::span<const uint32_t> items,
                   std::string& out) const;
  // Appends one event.
  void append_event(std::string_view document, std::string& out) const;

 private:
  struct Scratch;
  // `readable_after`: how many bytes after the document may be read (the scan needs
  // simdjson's padding; with fewer it scans a copy).
  void append_event(std::string_view document, size_t readable_after, std::string& out,
                    Scratch& scratch) const;

  // ,"host":..,"source":..,"sourcetype":..[,"index":..],"event":  computed once.
  std::string metadata_json_;
  std::vector<std::string> wanted_;      // "@timestamp", then the configured field paths
  std::vector<std::string> field_keys_;  // "path": of each field path, [0] unused
};

// An RFC 3339 time (2026-01-16T18:22:11.123456Z, or with an offset such as +02:00) as epoch
// seconds with a millisecond fraction ("1768587731.123"); nullopt if it cannot be read or is
// before 1970.
std::optional<std::string> epoch_seconds(std::string_view rfc3339);

}  // namespace auditrelay::splunk_hec
