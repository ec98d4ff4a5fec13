#include "plugins/out_webhook/webhook_event.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/agent/normalize/normalize_test_support.h"

using namespace auditrelay;
using namespace auditrelay::webhook;

namespace {

std::string envelope(std::string_view id, std::string_view document) {
  std::string out;
  REQUIRE(append_envelope(id, document, out));
  return out;
}

std::optional<EventType> type_of(std::string_view event_type_json) {
  return event_type_of(R"({"event":{"type":)" + std::string(event_type_json) + "}}");
}

// Line `line` of a sample file, normalized, as the envelope the receiver gets.
struct SampleEvent {
  test::Normalized normalized;
  std::string body;
};

SampleEvent sample_event(std::string_view file, size_t line, Schema schema) {
  SampleEvent e;
  const std::vector<std::string> lines = test::sample_lines(file);
  REQUIRE(line < lines.size());
  e.normalized = test::run(lines[line], schema);
  REQUIRE(e.normalized.ok());
  e.body = envelope(e.normalized.id, e.normalized.json);
  return e;
}

}  // namespace

TEST_CASE("event type names") {
  for (EventType t :
       {EventType::kBlocked, EventType::kWarned, EventType::kRewritten, EventType::kAllowed}) {
    CHECK(parse_event_type(to_string(t)) == t);
  }
  CHECK(to_string(EventType::kBlocked) == "governance.request.blocked");
  CHECK_FALSE(parse_event_type("governance.request.denied"));
  CHECK_FALSE(parse_event_type("blocked"));
}

TEST_CASE("event type from event.type (MAPPING.md §6), the most consequential first") {
  CHECK(type_of(R"(["denied"])") == EventType::kBlocked);
  CHECK(type_of(R"(["allowed","info"])") == EventType::kWarned);
  CHECK(type_of(R"(["info","allowed"])") == EventType::kWarned);
  CHECK(type_of(R"(["allowed","change"])") == EventType::kRewritten);
  CHECK(type_of(R"(["change"])") == EventType::kRewritten);
  CHECK(type_of(R"(["allowed"])") == EventType::kAllowed);
  CHECK(type_of(R"("allowed")") == EventType::kAllowed);  // a lone keyword, not an array
  // Precedence when several rows apply.
  CHECK(type_of(R"(["allowed","denied","info","change"])") == EventType::kBlocked);
  CHECK(type_of(R"(["allowed","info","change"])") == EventType::kRewritten);
  // No row applies.
  CHECK_FALSE(type_of(R"(["info"])"));
  CHECK_FALSE(type_of(R"([])"));
  CHECK_FALSE(type_of("null"));
  CHECK_FALSE(event_type_of(R"({"event":{}})"));
  CHECK_FALSE(event_type_of("not json"));
  CHECK_FALSE(event_type_of(R"(["denied"])"));
  // A passed-through document may use dotted member names.
  CHECK(event_type_of(R"({"event.type":["denied"]})") == EventType::kBlocked);
}

TEST_CASE("event.type through nested objects first, then dotted names; broken JSON") {
  // Nested wins over a dotted name, whichever comes first.
  CHECK(event_type_of(R"({"event.type":["allowed"],"event":{"type":["denied"]}})") ==
        EventType::kBlocked);
  CHECK(event_type_of(R"({"event":{"type":["denied"]},"event.type":["allowed"]})") ==
        EventType::kBlocked);
  // Not there nested (no type, null, event not an object): the dotted name counts.
  CHECK(event_type_of(R"({"event":{"kind":"event"},"event.type":"denied"})") ==
        EventType::kBlocked);
  CHECK(event_type_of(R"({"event":{"type":null},"event.type":"denied"})") == EventType::kBlocked);
  CHECK(event_type_of(R"({"event":7,"event.type":["change"]})") == EventType::kRewritten);
  // Only event's own member "type", not one deeper; members around it are skipped.
  CHECK(event_type_of(R"({"a":[1,{"b":2}],"event":{"x":{"type":"allowed"},"type":["denied"]},)"
                      R"("z":"event"})") == EventType::kBlocked);
  CHECK_FALSE(event_type_of(R"({"event":{"x":{"type":"denied"}}})"));
  // Items that are not keywords are passed over; a number is no type at all.
  CHECK(event_type_of(R"({"event":{"type":[1,{"a":["denied"]},null,"change"]}})") ==
        EventType::kRewritten);
  CHECK_FALSE(event_type_of(R"({"event":{"type":5}})"));
  // Escapes: in a key (found by the full parse), in a value (unescaped).
  CHECK(event_type_of(R"({"event":{"type":"denied"}})") == EventType::kBlocked);
  CHECK(event_type_of(R"({"event":{"type":["denied"]}})") == EventType::kBlocked);
  // Broken on the way to the type or in it: none. Broken only in what the lookup skips: the
  // type is read, and the envelope (a full parse) refuses the document.
  CHECK_FALSE(event_type_of(R"({"a" 1,"event":{"type":"denied"}})"));
  CHECK_FALSE(event_type_of(R"({"event":{"type":["denied",]}})"));
  CHECK_FALSE(event_type_of(R"({"event":{"type":"denied)"));
  for (const std::string broken : {R"({"a":[1,,2],"event":{"type":"denied"}})",
                                   R"({"event":{"type":["denied"]},"user":{"id":})"}) {
    CAPTURE(broken);
    CHECK(event_type_of(broken) == EventType::kBlocked);
    std::string out;
    CHECK_FALSE(append_envelope("r", broken, out));
    CHECK(out.empty());
  }
}

TEST_CASE("the event type of every sample record, both schemas") {
  const std::vector<std::optional<EventType>> gateway{
      EventType::kRewritten,  // rewrite
      EventType::kAllowed,    // allow
      EventType::kAllowed,    // block in shadow mode: effective_decision allow
      EventType::kBlocked,    // block
      EventType::kWarned,     // warn
  };
  const auto gateway_lines = test::sample_lines("policy_gateway.jsonl");
  REQUIRE(gateway_lines.size() == gateway.size());
  for (size_t i = 0; i < gateway.size(); ++i) {
    CAPTURE(i);
    test::Normalized n = test::run(gateway_lines[i], Schema::kPolicyGateway);
    REQUIRE(n.ok());
    CHECK(event_type_of(n.json) == gateway[i]);
  }
  const std::vector<std::optional<EventType>> governance{EventType::kAllowed, EventType::kBlocked,
                                                         EventType::kWarned};
  const auto governance_lines = test::sample_lines("governance_audit.jsonl");
  REQUIRE(governance_lines.size() == governance.size());
  for (size_t i = 0; i < governance.size(); ++i) {
    CAPTURE(i);
    test::Normalized n = test::run(governance_lines[i], Schema::kGovernanceAudit);
    REQUIRE(n.ok());
    CHECK(event_type_of(n.json) == governance[i]);
  }
}

TEST_CASE("envelope of a governance_audit record: blocked, no provider (null)") {
  SampleEvent e = sample_event("governance_audit.jsonl", 1, Schema::kGovernanceAudit);
  CHECK(e.normalized.id == "audit_def456");
  CHECK(e.body ==
        R"({"id":"evt_audit_def456","type":"governance.request.blocked",)"
        R"("timestamp":"2025-01-10T14:31:00.000Z","data":{"requestId":"req_uvw123",)"
        R"("model":"deepseek-chat","policyId":"gpol_xxx","policyName":"Production - HIPAA",)"
        R"("decision":"block","reasonCode":"BLOCK","violations":["Provider 'deepseek' is )"
        R"(China-based and blocked by policy","Provider 'deepseek' does not meet minimum )"
        R"(trust tier 'most_trusted'"],"ipAddress":"203.0.113.42"}})");
}

TEST_CASE("envelope of a governance_audit record: warned, with provider and IPv6") {
  SampleEvent e = sample_event("governance_audit.jsonl", 2, Schema::kGovernanceAudit);
  CHECK(e.body ==
        R"({"id":"evt_audit_ghi789","type":"governance.request.warned",)"
        R"("timestamp":"2025-01-10T14:32:00.500Z","data":{"requestId":"req_rst456",)"
        R"("model":"gpt-4o","provider":"openai","policyId":"gpol_yyy",)"
        R"("policyName":"Staging - Observe","decision":"warn","reasonCode":"WARN",)"
        R"("violations":["Prompt contains an email address"],"ipAddress":"2001:db8::1"}})");
}

TEST_CASE("envelope of a policy_gateway record: blocked, violations from triggered_categories") {
  SampleEvent e = sample_event("policy_gateway.jsonl", 3, Schema::kPolicyGateway);
  CHECK(e.body == R"({"id":"evt_)" + e.normalized.id +
                      R"(","type":"governance.request.blocked",)"
                      R"("timestamp":"2026-01-16T18:22:14.123Z","data":{)"
                      R"("model":"abliterated-model","policyId":"pii-shield",)"
                      R"("decision":"block","reasonCode":"DENYLIST_MATCH",)"
                      R"("violations":["pii/credit-card"],"userId":"user-20003",)"
                      R"("projectId":"claims-assistant","rolloutMode":"enforced"}})");
}

TEST_CASE("envelope of a policy_gateway record: warned") {
  SampleEvent e = sample_event("policy_gateway.jsonl", 4, Schema::kPolicyGateway);
  CHECK(e.body == R"({"id":"evt_)" + e.normalized.id +
                      R"(","type":"governance.request.warned",)"
                      R"("timestamp":"2026-01-16T18:22:15.000Z","data":{)"
                      R"("model":"abliterated-model","policyId":"tone-check",)"
                      R"("decision":"warn","reasonCode":"TONE_WARNING",)"
                      R"("violations":["harassment"],"userId":"user-20004",)"
                      R"("projectId":"sales-copilot","rolloutMode":"enforced"}})");
}

TEST_CASE("envelope: only the fields present; violation_reasons before triggered_categories") {
  CHECK(envelope("r1", R"({"event":{"type":["denied"]}})") ==
        R"({"id":"evt_r1","type":"governance.request.blocked","data":{}})");
  CHECK(envelope("r2", R"({"@timestamp":"2026-01-16T18:22:11.000Z","event":{"type":["denied"]},)"
                       R"("policy":{"violation_reasons":["a"],"triggered_categories":["b"],)"
                       R"("policy_id":null}})") ==
        R"({"id":"evt_r2","type":"governance.request.blocked",)"
        R"("timestamp":"2026-01-16T18:22:11.000Z","data":{"violations":["a"]}})");
  // Characters JSON must escape, in the id and in values.
  CHECK(envelope("a\"b", R"({"event":{"type":"denied"},"user":{"id":"x\ny"}})") ==
        R"({"id":"evt_a\"b","type":"governance.request.blocked","data":{"userId":"x\ny"}})");
  // A nested field before a dotted name, as for event.type.
  CHECK(envelope("r3", R"({"event":{"type":"denied"},"policy.decision":"x",)"
                       R"("policy":{"decision":"block"}})") ==
        R"({"id":"evt_r3","type":"governance.request.blocked","data":{"decision":"block"}})");
  std::string out = "kept";
  CHECK_FALSE(append_envelope("r", R"({"event":{"type":["info"]}})", out));
  CHECK_FALSE(append_envelope("r", "{broken", out));
  CHECK(out == "kept");
}
