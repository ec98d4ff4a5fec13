// Records for the report tests: governance_audit records made to order, and the figures of
// the seed's compliance report (15,420 requests, one blocked).
#pragma once

#include <string>

namespace auditrelay::test {

struct GovernanceRecord {
  std::string id;
  std::string timestamp = "2025-01-10T14:30:00Z";
  std::string policy_id = "gpol_xxx";
  std::string policy_name = "Production - HIPAA";
  std::string provider = "anthropic";  // empty: null
  bool allowed = true;
  std::string enforcement = "hard_block";
  std::string reasons_json = "[]";  // violationReasons
  std::string ip = "198.51.100.7";
  std::string request_id = "req_1";

  std::string json() const {
    return R"({"id":")" + id + R"(","orgId":"org_01","requestId":")" + request_id +
           R"(","timestamp":")" + timestamp +
           R"(","model":"claude-sonnet-4-20250514","provider":)" +
           (provider.empty() ? std::string("null") : "\"" + provider + "\"") + R"(,"policyId":")" +
           policy_id + R"(","policyName":")" + policy_name + R"(","policySlot":1,"allowed":)" +
           (allowed ? "true" : "false") + R"(,"enforcement":")" + enforcement +
           R"(","violationReasons":)" + reasons_json + R"(,"ipAddress":")" + ip + R"("})";
  }
};

// The seed's figures: 15,420 requests in January 2025, of which one blocked (before routing:
// no provider), a few warned, the rest allowed across two providers. One line each.
inline std::string seed_records() {
  std::string out;
  constexpr int kRequests = 15'420;
  for (int i = 0; i < kRequests; ++i) {
    GovernanceRecord r;
    r.id = "audit_" + std::to_string(i);
    r.request_id = "req_" + std::to_string(i);
    int day = 1 + i % 31;
    int minute = i / 31 % 60;
    char ts[32];
    std::snprintf(ts, sizeof ts, "2025-01-%02dT10:%02d:00Z", day, minute);
    r.timestamp = ts;
    r.provider = i % 3 == 0 ? "openai" : "anthropic";
    if (i % 500 == 7) {
      r.enforcement = "warn";
      r.reasons_json = R"(["Prompt contains an email address"])";
    }
    if (i == 4243) {
      r.allowed = false;
      r.provider.clear();
      r.reasons_json = R"(["Provider 'deepseek' is China-based, and \"blocked\" by policy"])";
    }
    out += r.json();
    out += '\n';
  }
  return out;
}

}  // namespace auditrelay::test
