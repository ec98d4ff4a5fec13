// The governance event a document becomes (MAPPING.md §6) and its JSON envelope. Pure
// (STYLE.md §9).
//
//   {"id":"evt_<record id>","type":"governance.request.blocked",
//    "timestamp":"<@timestamp>","data":{"requestId":..,"model":..,...}}
//
// The type comes from the document's event.type. When several rows of §6 apply the most
// consequential wins: denied (blocked) before change (rewritten: the request was altered)
// before info with allowed (warned) before allowed alone. A document matching no row
// (event.type ["info"] only, or none) has no event and is never sent.
//
// A path is found through nested objects first, then through member names holding dots.
// `data` holds each field only when the document has it (a JSON null counts as absent), with
// the document's value as is: requestId (http.request.id), model (gen_ai.request.model),
// provider (gen_ai.system), policyId (policy.policy_id), policyName (policy.policy_name),
// decision (policy.decision), reasonCode (policy.reason_code), violations
// (policy.violation_reasons, else policy.triggered_categories), userId (user.id), projectId
// (policy.project_id), rolloutMode (policy.rollout_mode), ipAddress (source.ip).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace auditrelay::webhook {

enum class EventType : uint8_t { kBlocked, kWarned, kRewritten, kAllowed };
inline constexpr size_t kEventTypeCount = 4;

// "governance.request.blocked" and so on.
std::string_view to_string(EventType type);
std::optional<EventType> parse_event_type(std::string_view text);

// A set of event types.
class EventTypes {
 public:
  void add(EventType type) { set_.set(static_cast<size_t>(type)); }
  bool contains(EventType type) const { return set_.test(static_cast<size_t>(type)); }

 private:
  std::bitset<kEventTypeCount> set_;
};

// Which values a document's event.type holds.
struct EventTypeValues {
  bool allowed = false;
  bool denied = false;
  bool info = false;
  bool change = false;
};

// The §6 table, with the precedence above.
std::optional<EventType> event_type_from(const EventTypeValues& values);

// The event type of a document (one JSON object); nullopt when it has none or is not JSON.
// event.type is looked up through the nested objects first (simdjson On-Demand, no tree built:
// every document the output reads comes here), then as dotted member names ({"event.type":..}).
// A document whose event.type is found that way but whose JSON is broken elsewhere still gets
// a type here; append_envelope() then refuses it. Names are compared as written on the nested
// path (On-Demand) and unescaped on the dotted one: they differ only for a document holding a
// name twice, once escaped ("ev\u0065nt" and "event"), where the first as written counts.
std::optional<EventType> event_type_of(std::string_view document);

// The id of the event of the record `record_id`: "evt_<record id>".
std::string event_id(std::string_view record_id);

// Appends the envelope of `document` (whose record id is `record_id`) to `out`. The envelope
// starts with {"id":"evt_<record id>", so its id can be read back from the body. Returns
// false, appending nothing, when the document has no event type.
bool append_envelope(std::string_view record_id, std::string_view document, std::string& out);

}  // namespace auditrelay::webhook
