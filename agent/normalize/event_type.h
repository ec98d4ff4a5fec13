// ECS event.type / event.outcome from a gateway decision (MAPPING.md §1 `event.type`).
#pragma once

#include <string_view>

namespace auditrelay::normalize {

// The ECS event.type values a decision maps to.
struct EventType {
  bool allowed = false;
  bool denied = false;
  bool change = false;
  bool info = false;
};

// allow/allowed/pass → allowed; block/blocked/deny/denied/reject → denied;
// rewrite/redact/mask/modify → allowed+change; warn/flag/monitor/log → allowed+info;
// anything else → info. Case-insensitive.
EventType classify_decision(std::string_view decision);

// success when allowed, failure when denied, else unknown.
std::string_view event_outcome(const EventType& type);

// The decision as one low-cardinality word, for counting: the most consequential of its types,
// as the webhook output names events (MAPPING.md §6): denied → "blocked", change →
// "rewritten", info with allowed → "warned", allowed → "allowed"; anything else "other".
std::string_view decision_category(const EventType& type);

}  // namespace auditrelay::normalize
