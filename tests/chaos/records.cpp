#include "tests/chaos/records.h"

#include <array>

namespace auditrelay::chaos {
namespace {

// Mostly allowed, as in real traffic; blocked and warned records are what the webhook output
// sends (its default events), so they are a minority that still shows up in every scenario.
constexpr std::array<const char*, 10> kDecisions{"allow", "allow", "allow",   "allow", "allow",
                                                 "allow", "block", "rewrite", "warn",  "allow"};

}  // namespace

RecordFactory::RecordFactory(std::string prefix, uint32_t seed)
    : prefix_(std::move(prefix)), random_(seed) {}

RecordFactory::Record RecordFactory::next() {
  std::string marker = prefix_ + "-" + std::to_string(seq_++);
  if (std::uniform_int_distribution<int>(0, 1)(random_) == 0) return policy_gateway(marker);
  return governance_audit(marker);
}

std::string RecordFactory::random_hex(size_t digits) {
  // Real records carry ids and digests that do not compress: so do these, so that the buffer
  // fills as it would.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digits, '0');
  for (char& c : out)
    c = kHex[std::uniform_int_distribution<int>(0, 15)(random_)];
  return out;
}

std::string RecordFactory::timestamp() {
  // Distinct, valid RFC 3339 times; the agent does not care how old they are.
  uint64_t ms = seq_ * 7 % 86'400'000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "2026-11-30T%02llu:%02llu:%02llu.%03lluZ",
                static_cast<unsigned long long>(ms / 3'600'000),
                static_cast<unsigned long long>(ms / 60'000 % 60),
                static_cast<unsigned long long>(ms / 1000 % 60),
                static_cast<unsigned long long>(ms % 1000));
  return buf;
}

RecordFactory::Record RecordFactory::policy_gateway(const std::string& marker) {
  const char* decision = kDecisions[std::uniform_int_distribution<size_t>(0, 9)(random_)];
  int user = std::uniform_int_distribution<int>(1, 5000)(random_);
  bool own_id = std::uniform_int_distribution<int>(0, 3)(random_) == 0;
  std::string line = "{";
  if (own_id) line += R"("id":"pg-)" + marker + "\",";
  line += R"("policy_id":"support-guardrails","decision":")" + std::string(decision) +
          R"(","reason_code":"CHAOS","policy_user":"user-)" + std::to_string(user) +
          R"(","project_id":"support-bot","rollout_mode":"enforced","enforced":true,)"
          R"("triggered_categories":["self-harm/intent"],"model":"abliterated-model",)"
          R"("created_at":")" +
          timestamp() + R"(","prompt_sha256":")" + random_hex(64) + R"(",")" + kMarkerField +
          R"(":")" + marker + "\"}";
  return {marker, std::move(line)};
}

RecordFactory::Record RecordFactory::governance_audit(const std::string& marker) {
  int kind = std::uniform_int_distribution<int>(0, 9)(random_);
  bool allowed = kind != 0;  // one in ten blocked
  bool warned = kind == 1;   // one in ten warned
  std::string line = R"({"id":"ga-)" + marker + R"(","orgId":"org_01","requestId":"req_)" +
                     random_hex(24) + R"(","timestamp":")" + timestamp() +
                     R"(","model":"gpt-4o","provider":"openai","policyId":"gpol_chaos",)"
                     R"("policyName":"Chaos - HIPAA","policySlot":3,"allowed":)" +
                     (allowed ? "true" : "false") + R"(,"enforcement":")" +
                     (warned ? "warn" : "hard_block") + "\"";
  if (!allowed || warned) line += R"(,"violationReasons":["Prompt contains an email address"])";
  line +=
      R"(,"ipAddress":"198.51.100.7",")" + std::string(kMarkerField) + R"(":")" + marker + "\"}";
  return {marker, std::move(line)};
}

void Ledger::add(const std::vector<std::string>& markers) {
  std::lock_guard lock(mu_);
  markers_.insert(markers_.end(), markers.begin(), markers.end());
}

std::vector<std::string> Ledger::markers() const {
  std::lock_guard lock(mu_);
  return markers_;
}

size_t Ledger::size() const {
  std::lock_guard lock(mu_);
  return markers_.size();
}

}  // namespace auditrelay::chaos
