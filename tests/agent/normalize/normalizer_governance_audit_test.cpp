// MAPPING.md §2, row by row, for schema governance_audit.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

#include "agent/normalize/normalizer.h"
#include "tests/agent/normalize/normalize_test_support.h"

namespace auditrelay::test {
namespace {

constexpr Schema kSchema = Schema::kGovernanceAudit;
using Strings = std::vector<std::string>;

Normalized sample(size_t i) {
  return run(sample_lines("governance_audit.jsonl").at(i), kSchema);
}

// The smallest valid record plus `extra` members (each starting with ',').
std::string record(std::string_view extra = "", std::string_view allowed = "true") {
  std::string r =
      R"({"id":"a1","timestamp":"2025-01-10T14:30:00Z","policyId":"gp","enforcement":"hard_block",)"
      R"("model":"m","allowed":)";
  return r.append(allowed).append(extra).append("}");
}

TEST_CASE("an allowed request: the first sample record") {
  const Normalized n = sample(0);
  REQUIRE(n.ok());
  CHECK(str(n, "@timestamp") == "2025-01-10T14:30:00.000Z");
  CHECK(str(n, "data_stream.type") == "logs");
  CHECK(str(n, "data_stream.dataset") == "policy_gateway.audit");
  CHECK(str(n, "data_stream.namespace") == "default");
  CHECK(str(n, "service.name") == "policy-gateway");
  CHECK(str(n, "event.dataset") == "policy_gateway.audit");
  CHECK(str(n, "event.kind") == "event");
  CHECK(strings(n, "event.category") == Strings{"api"});
  CHECK(str(n, "event.id") == "audit_abc123");
  CHECK(n.id == "audit_abc123");
  CHECK(n.index == "logs-policy_gateway.audit-default");
  CHECK(str(n, "event.action") == "allow");
  CHECK(strings(n, "event.type") == Strings{"allowed"});
  CHECK(str(n, "event.outcome") == "success");
  CHECK_FALSE(has(n, "event.reason"));
  CHECK(str(n, "policy.decision") == "allow");
  CHECK(str(n, "policy.effective_decision") == "allow");
  CHECK(str(n, "policy.reason_code") == "ALLOW");
  CHECK(str(n, "policy.policy_id") == "gpol_xxx");
  CHECK(str(n, "policy.policy_name") == "Production - HIPAA");
  CHECK(at(n.doc, "policy.policy_slot")->GetInt() == 1);
  CHECK(str(n, "policy.enforcement") == "hard_block");
  CHECK(at(n.doc, "policy.enforced")->GetBool() == true);
  CHECK(str(n, "policy.model") == "claude-sonnet-4-20250514");
  CHECK(str(n, "gen_ai.request.model") == "claude-sonnet-4-20250514");
  CHECK(str(n, "policy.provider") == "anthropic");
  CHECK(str(n, "gen_ai.system") == "anthropic");
  CHECK(str(n, "policy.request_id") == "req_xyz789");
  CHECK(str(n, "http.request.id") == "req_xyz789");
  CHECK(str(n, "policy.org_id") == "org_01");
  CHECK(str(n, "organization.id") == "org_01");
  CHECK(str(n, "policy.api_key_id") == "key_9");
  CHECK(str(n, "policy.created_at") == "2025-01-10T14:30:00Z");
  CHECK(str(n, "source.ip") == "198.51.100.7");
  CHECK(str(n, "user_agent.original") == "support-bot/2.3");
  CHECK_FALSE(has(n, "policy.unmapped"));
  CHECK(keys(n.doc) == Strings{"@timestamp", "data_stream", "service", "event", "gen_ai", "http",
                               "organization", "source", "user_agent", "policy"});
}

TEST_CASE("a blocked request before routing: the second sample record") {
  const Normalized n = sample(1);
  REQUIRE(n.ok());
  CHECK(str(n, "event.action") == "block");
  CHECK(str(n, "policy.decision") == "block");
  CHECK(str(n, "policy.reason_code") == "BLOCK");
  CHECK(strings(n, "event.type") == Strings{"denied"});
  CHECK(str(n, "event.outcome") == "failure");
  CHECK(str(n, "event.reason") ==
        "Provider 'deepseek' is China-based and blocked by policy; "
        "Provider 'deepseek' does not meet minimum trust tier 'most_trusted'");
  CHECK(strings(n, "policy.violation_reasons").size() == 2);
  CHECK_FALSE(has(n, "gen_ai.system"));  // provider null: blocked before routing
  CHECK_FALSE(has(n, "policy.provider"));
  CHECK_FALSE(has(n, "policy.api_key_id"));
  CHECK_FALSE(has(n, "user_agent"));
  CHECK(str(n, "source.ip") == "203.0.113.42");
}

TEST_CASE("a warned request: the third sample record") {
  const Normalized n = sample(2);
  REQUIRE(n.ok());
  CHECK(str(n, "@timestamp") == "2025-01-10T14:32:00.500Z");
  CHECK(str(n, "policy.created_at") == "2025-01-10T14:32:00.5Z");  // verbatim
  CHECK(str(n, "event.action") == "warn");
  CHECK(str(n, "policy.reason_code") == "WARN");
  CHECK(strings(n, "event.type") == Strings{"allowed", "info"});
  CHECK(str(n, "event.outcome") == "success");
  CHECK(str(n, "event.reason") == "Prompt contains an email address");
  CHECK(at(n.doc, "policy.enforced")->GetBool() == false);  // enforcement: warn
  CHECK_FALSE(has(n, "policy.policy_slot"));                // null
  CHECK(str(n, "source.ip") == "2001:db8::1");
}

TEST_CASE("soft_block is enforced; allowed with no violations is allow") {
  const Normalized n =
      run(R"({"id":"a","timestamp":"2025-01-10T14:30:00Z","policyId":"g","allowed":true,)"
          R"("enforcement":"soft_block","model":"m","violationReasons":[]})",
          kSchema);
  REQUIRE(n.ok());
  CHECK(at(n.doc, "policy.enforced")->GetBool() == true);
  CHECK(str(n, "policy.decision") == "allow");
  CHECK_FALSE(has(n, "event.reason"));
  CHECK(strings(n, "policy.violation_reasons").empty());  // verbatim, even when empty
}

TEST_CASE("an ipAddress that is no address goes to policy.unmapped") {
  const Normalized n = run(record(R"(,"ipAddress":"10.0.0.300","extra":{"k":[1]})"), kSchema);
  REQUIRE(n.ok());
  CHECK_FALSE(has(n, "source"));
  CHECK(str(n, "policy.unmapped.ipAddress") == "10.0.0.300");
  CHECK(has(n, "policy.unmapped.extra.k"));
  for (std::string_view bad : {"", "localhost", "1.2.3", "fe80::1%eth0", "::g"}) {
    CAPTURE(bad);
    const Normalized m = run(record(R"(,"ipAddress":")" + std::string(bad) + "\""), kSchema);
    CHECK_FALSE(has(m, "source"));
  }
  CHECK(str(run(record(R"(,"ipAddress":"::ffff:192.0.2.1")"), kSchema), "source.ip") ==
        "::ffff:192.0.2.1");
}

TEST_CASE("every other field goes to policy.unmapped verbatim") {
  const Normalized n = run(record(R"(,"region":"eu","latencyMs":12,"tags":["a"])"), kSchema);
  CHECK(str(n, "policy.unmapped.region") == "eu");
  CHECK(at(n.doc, "policy.unmapped.latencyMs")->GetInt() == 12);
  CHECK(strings(n, "policy.unmapped.tags") == Strings{"a"});
}

TEST_CASE("missing required fields") {
  const std::string full = record();
  for (std::string_view field :
       {"id", "timestamp", "policyId", "allowed", "enforcement", "model"}) {
    CAPTURE(field);
    rapidjson::Document d;
    d.Parse(full.c_str());
    d.RemoveMember(std::string(field).c_str());
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    d.Accept(writer);
    const Normalized n = run(buffer.GetString(), kSchema);
    REQUIRE(n.rejection.has_value());
    CHECK(n.rejection->reason == RejectReason::kMissingField);
    CHECK(n.rejection->message == "missing required field '" + std::string(field) + "'");
  }
}

TEST_CASE("values outside their domain") {
  struct Row {
    std::string raw;
    RejectReason reason;
  };
  const Row rows[] = {
      {record(R"(,"enforcement":"maybe")"), RejectReason::kInvalidJson},  // duplicate key
      {R"({"id":"a","timestamp":"2025-01-10T14:30:00Z","policyId":"g","allowed":true,)"
       R"("enforcement":"block","model":"m"})",
       RejectReason::kInvalidValue},
      {record(R"(,"policySlot":0)"), RejectReason::kInvalidValue},
      {record(R"(,"policySlot":13)"), RejectReason::kInvalidValue},
      {record(R"(,"policySlot":-1)"), RejectReason::kInvalidValue},
      {record(R"(,"policySlot":18446744073709551615)"), RejectReason::kInvalidValue},
      {record(R"(,"policySlot":1.5)"), RejectReason::kWrongType},
      {record(R"(,"policySlot":"1")"), RejectReason::kWrongType},
      {record("", R"("true")"), RejectReason::kWrongType},
      {record(R"(,"violationReasons":"x")"), RejectReason::kWrongType},
      {record(R"(,"violationReasons":[1])"), RejectReason::kWrongType},
      {record(R"(,"provider":5)"), RejectReason::kWrongType},
      {record(R"(,"userAgent":{})"), RejectReason::kWrongType},
      {record(R"(,"ipAddress":3232235777)"), RejectReason::kWrongType},
      {R"({"id":"","timestamp":"2025-01-10T14:30:00Z","policyId":"g","allowed":true,)"
       R"("enforcement":"warn","model":"m"})",
       RejectReason::kInvalidValue},
      {R"({"id":"a","timestamp":"2025-01-10 14:30","policyId":"g","allowed":true,)"
       R"("enforcement":"warn","model":"m"})",
       RejectReason::kInvalidTimestamp},
  };
  for (const Row& row : rows) {
    CAPTURE(row.raw);
    const Normalized n = run(row.raw, kSchema);
    REQUIRE(n.rejection.has_value());
    CHECK(n.rejection->reason == row.reason);
  }
}

TEST_CASE("policySlot bounds are inclusive") {
  CHECK(at(run(record(R"(,"policySlot":12)"), kSchema).doc, "policy.policy_slot")->GetInt() == 12);
  CHECK(at(run(record(R"(,"policySlot":1)"), kSchema).doc, "policy.policy_slot")->GetInt() == 1);
}

TEST_CASE("messages name the field") {
  CHECK(run(record("", "1"), kSchema).rejection->message ==
        "field 'allowed' must be a boolean, got number");
  CHECK(run(record(R"(,"policySlot":42)"), kSchema).rejection->message ==
        "field 'policySlot' must be between 1 and 12");
  CHECK(run(R"({"id":"a","timestamp":"2025-01-10T14:30:00Z","policyId":"g","allowed":true,)"
            R"("enforcement":"block","model":"m"})",
            kSchema)
            .rejection->message ==
        "field 'enforcement' must be one of hard_block, soft_block, warn, got \"block\"");
}

}  // namespace
}  // namespace auditrelay::test
