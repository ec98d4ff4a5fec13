#include "agent/normalize/event_type.h"

#include <doctest/doctest.h>

namespace auditrelay::normalize {
namespace {

TEST_CASE("decision keywords are matched whole and case-insensitively") {
  CHECK(classify_decision("ALLOW").allowed);
  CHECK_FALSE(classify_decision("allowing").allowed);
  CHECK(classify_decision("allowing").info);
  CHECK(classify_decision("Deny").denied);
  CHECK(event_outcome(classify_decision("deny")) == "failure");
  CHECK(event_outcome(classify_decision("log")) == "success");
  CHECK(event_outcome(classify_decision("?")) == "unknown");
  const EventType t = classify_decision("redact");
  CHECK((t.allowed && t.change && !t.info && !t.denied));
}

}  // namespace
}  // namespace auditrelay::normalize
