// auditrelay_bench_generate: writes realistic raw audit records (JSON lines) for the benchmarks.
//
//   auditrelay_bench_generate --schema policy_gateway|governance_audit|mixed --count N
//                             [--seed S] [--out FILE]
//
// The output depends only on the arguments (own PRNG and distributions, no std::random
// distributions whose results differ between standard libraries). The value distributions follow
// what the gateways produce in production: a dozen policies, mostly `allow`, a few thousand users
// of which some are much busier than others, increasing timestamps, optional fields that come and
// go, and the occasional field that no mapping knows (→ policy.unmapped). See
// /work/shared/design/MAPPING.md for the two schemas.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------
// Deterministic randomness: xoshiro256** seeded through splitmix64.

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) {
      seed += 0x9E3779B97F4A7C15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      s = z ^ (z >> 31);
    }
  }

  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0 (the modulo bias is irrelevant at these sizes).
  uint64_t below(uint64_t n) { return next() % n; }
  // Uniform in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1)));
  }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }

  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }

  // Index in [0, n) with a long tail: low indexes are much more likely (a few busy users,
  // projects, keys), like real traffic.
  uint64_t skewed(uint64_t n, double exponent = 2.0) {
    double u = unit();
    auto i = static_cast<uint64_t>(std::pow(u, exponent) * static_cast<double>(n));
    return i < n ? i : n - 1;
  }

  // Index into `weights` (need not sum to 1).
  size_t weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights)
      total += w;
    double x = unit() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4]{};
};

// ---------------------------------------------------------------------------------------------
// Timestamps: a clock in epoch milliseconds, formatted as RFC 3339.

struct Civil {
  int64_t year;
  unsigned month, day;
};

// Howard Hinnant's days-to-civil.
Civil civil_from_days(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

enum class Fraction { kNone, kMillis, kMicros, kTenths };

// `ms` is UTC epoch milliseconds; offset_minutes shifts the wall clock and writes "+hh:mm"
// (0 writes "Z").
std::string format_time(int64_t ms, Fraction fraction, int offset_minutes, unsigned extra_micros) {
  int64_t local_ms = ms + static_cast<int64_t>(offset_minutes) * 60000;
  int64_t secs = local_ms / 1000;
  auto millis = static_cast<unsigned>(local_ms % 1000);
  int64_t days = secs / 86400;
  auto sod = static_cast<unsigned>(secs % 86400);
  Civil c = civil_from_days(days);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u",
                        static_cast<long long>(c.year), c.month, c.day, sod / 3600, (sod / 60) % 60,
                        sod % 60);
  std::string out(buf, static_cast<size_t>(n));
  switch (fraction) {
    case Fraction::kNone:
      break;
    case Fraction::kMillis:
      n = std::snprintf(buf, sizeof buf, ".%03u", millis);
      out.append(buf, static_cast<size_t>(n));
      break;
    case Fraction::kMicros:
      n = std::snprintf(buf, sizeof buf, ".%03u%03u", millis, extra_micros % 1000);
      out.append(buf, static_cast<size_t>(n));
      break;
    case Fraction::kTenths:
      n = std::snprintf(buf, sizeof buf, ".%u", millis / 100);
      out.append(buf, static_cast<size_t>(n));
      break;
  }
  if (offset_minutes == 0) {
    out += 'Z';
  } else {
    int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    n = std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60,
                      a % 60);
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class Clock {
 public:
  explicit Clock(int64_t start_ms) : ms_(start_ms) {}
  // Advances by a random gap (~12 ms on average, a busy gateway) and returns the new time.
  int64_t tick(Rng& rng) {
    double u = rng.unit();
    ms_ += static_cast<int64_t>(-std::log(1.0 - u) * 12.0);
    return ms_;
  }

 private:
  int64_t ms_;
};

// 2026-01-16T08:00:00Z
constexpr int64_t kStartMs = 1768550400000LL;

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void kv(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  str(w, v);
}
void string_array(Writer& w, std::string_view k, const std::vector<std::string>& items) {
  key(w, k);
  w.StartArray();
  for (const std::string& s : items)
    str(w, s);
  w.EndArray();
}

// Up to `count` distinct items of `from`.
std::vector<std::string> sample(Rng& rng, const std::vector<std::string>& from, size_t count) {
  std::vector<std::string> out;
  if (from.empty()) return out;
  for (size_t tries = 0; out.size() < count && tries < count * 4; ++tries) {
    const std::string& s = rng.pick(from);
    bool dup = false;
    for (const std::string& o : out)
      dup = dup || o == s;
    if (!dup) out.push_back(s);
  }
  return out;
}

std::string hex_id(Rng& rng, size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(digits);
  for (size_t i = 0; i < digits; ++i)
    s += kHex[rng.below(16)];
  return s;
}

std::string alnum_id(Rng& rng, size_t chars) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  s.reserve(chars);
  for (size_t i = 0; i < chars; ++i)
    s += kChars[rng.below(36)];
  return s;
}

const std::vector<std::string> kModels = {
    "gpt-4o",
    "gpt-4o-mini",
    "claude-sonnet-4-20250514",
    "claude-3-5-haiku-20241022",
    "llama-3.1-70b",
    "llama-3.1-8b-instruct",
    "mistral-large-2411",
    "gemini-1.5-pro",
    "o3-mini",
    "deepseek-chat",
};
// Traffic share of each model above.
const std::vector<double> kModelWeights = {30, 18, 20, 6, 8, 4, 4, 5, 3, 2};
// The provider of each model above.
const std::vector<std::string> kProviders = {
    "openai", "openai",  "anthropic", "anthropic", "meta",
    "meta",   "mistral", "google",    "openai",    "deepseek",
};

// ---------------------------------------------------------------------------------------------
// policy_gateway

struct GatewayPolicy {
  std::string id;
  std::vector<std::string> categories;
  std::vector<std::string> denylist;
  std::string block_reason;
  std::string warn_reason;
};

const std::vector<GatewayPolicy> kGatewayPolicies = {
    {"support-guardrails",
     {"self-harm/intent", "violence", "harassment"},
     {"kill yourself", "bomb"},
     "CATEGORY_BLOCK",
     "CATEGORY_WARNING"},
    {"pii-shield",
     {"pii/ssn", "pii/credit-card", "pii/email", "pii/phone"},
     {"social security number", "card number", "passport number"},
     "DENYLIST_MATCH",
     "PII_WARNING"},
    {"tone-check", {"harassment", "profanity", "hate"}, {}, "TONE_BLOCK", "TONE_WARNING"},
    {"prompt-injection",
     {"injection/direct", "injection/indirect", "jailbreak"},
     {"ignore previous instructions", "developer mode"},
     "PROMPT_INJECTION",
     "INJECTION_SUSPECTED"},
    {"secrets-scanner",
     {"secrets/api-key", "secrets/private-key", "secrets/password"},
     {"BEGIN RSA PRIVATE KEY", "AKIA"},
     "SECRET_DETECTED",
     "SECRET_SUSPECTED"},
    {"toxicity-filter", {"toxicity", "hate", "sexual"}, {}, "TOXICITY_BLOCK", "TOXICITY_WARNING"},
    {"medical-advice",
     {"medical/diagnosis", "medical/dosage"},
     {},
     "MEDICAL_BLOCK",
     "MEDICAL_DISCLAIMER"},
    {"financial-advice",
     {"finance/investment", "finance/tax"},
     {"guaranteed returns"},
     "FINANCE_BLOCK",
     "FINANCE_DISCLAIMER"},
    {"brand-safety",
     {"competitor-mention", "off-topic"},
     {"acme corp"},
     "BRAND_BLOCK",
     "BRAND_WARNING"},
    {"export-control",
     {"export/itar", "export/dual-use"},
     {"centrifuge"},
     "EXPORT_CONTROL",
     "EXPORT_WARNING"},
    {"data-residency",
     {"residency/eu", "residency/us"},
     {},
     "RESIDENCY_VIOLATION",
     "RESIDENCY_WARNING"},
    {"code-license",
     {"license/gpl", "license/unknown"},
     {"GNU General Public License"},
     "LICENSE_BLOCK",
     "LICENSE_WARNING"},
};
// How often each policy above decides (some guard every request, some a single project).
const std::vector<double> kGatewayPolicyWeights = {18, 16, 10, 14, 9, 8, 4, 4, 6, 2, 5, 4};

const std::vector<std::string> kProjects = {
    "support-bot",      "claims-assistant",  "sales-copilot",  "code-review",
    "hr-helpdesk",      "search-summarizer", "legal-drafting", "marketing-writer",
    "data-explorer",    "onboarding-guide",  "fraud-triage",   "translation-hub",
    "internal-wiki-qa", "release-notes",     "ticket-router",
};
const std::vector<std::string> kRoutes = {"chat", "completions", "embeddings", "tools", "batch"};
const std::vector<std::string> kAllowlist = {
    "refund policy", "order status", "public pricing", "company address", "press release",
};
const std::vector<std::string> kClassifications = {
    "internal", "confidential", "pii", "phi", "pci", "restricted", "public",
};
const std::vector<std::string> kRegions = {"eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"};

constexpr int kUsers = 4000;

void write_policy_gateway(Writer& w, Rng& rng, int64_t ms) {
  const GatewayPolicy& policy = kGatewayPolicies[rng.weighted(kGatewayPolicyWeights)];
  static const std::vector<std::string> kDecisions = {"allow", "warn", "block", "rewrite"};
  static const std::vector<double> kDecisionWeights = {80, 10, 7, 3};
  const std::string& decision = kDecisions[rng.weighted(kDecisionWeights)];

  // Rollout: most policies enforce; new ones run in shadow (decide but do not act) for a while.
  bool shadow = rng.chance(0.08);
  std::string effective = decision;
  if (shadow && decision != "allow")
    effective = "allow";
  else if (!shadow && decision == "rewrite" && rng.chance(0.05))
    effective = "block";  // rewrite failed

  std::string reason_code = "ALLOW";
  if (decision == "warn")
    reason_code = policy.warn_reason;
  else if (decision == "block")
    reason_code = policy.block_reason;
  else if (decision == "rewrite")
    reason_code = rng.chance(0.7) ? "REWRITE" : "PII_REDACTED";

  const std::string& project = kProjects[rng.skewed(kProjects.size(), 1.8)];
  std::string target = project;
  if (rng.chance(0.25)) target += "/" + rng.pick(kRoutes);

  size_t n_categories = 0;
  if (decision == "allow")
    n_categories = rng.chance(0.04) ? 1 : 0;  // seen, under threshold
  else
    n_categories = static_cast<size_t>(rng.range(1, 3));
  std::vector<std::string> categories = sample(rng, policy.categories, n_categories);
  std::vector<std::string> allow_hits;
  if (rng.chance(0.06)) allow_hits = sample(rng, kAllowlist, rng.chance(0.8) ? 1 : 2);
  std::vector<std::string> deny_hits;
  if ((decision == "block" || decision == "rewrite") && rng.chance(0.6))
    deny_hits = sample(rng, policy.denylist, rng.chance(0.85) ? 1 : 2);

  w.StartObject();
  kv(w, "policy_id", policy.id);
  kv(w, "decision", decision);
  if (rng.chance(0.995)) kv(w, "effective_decision", effective);
  kv(w, "reason_code", reason_code);
  char user[32];
  std::snprintf(user, sizeof user, "user-%05d", 10000 + static_cast<int>(rng.skewed(kUsers)) * 7);
  kv(w, "policy_user", user);
  kv(w, "project_id", project);
  kv(w, "policy_target", target);
  kv(w, "rollout_mode", shadow ? "shadow" : "enforced");
  key(w, "enforced");
  w.Bool(!shadow);
  string_array(w, "triggered_categories", categories);
  string_array(w, "allowlist_hits", allow_hits);
  string_array(w, "denylist_hits", deny_hits);
  kv(w, "model", kModels[rng.weighted(kModelWeights)]);

  // Most gateways log UTC with milliseconds; one region logs local time (+01:00), a few older
  // builds log whole seconds or microseconds.
  int offset = rng.chance(0.04) ? 60 : 0;
  Fraction fraction = Fraction::kMillis;
  double f = rng.unit();
  if (f < 0.03)
    fraction = Fraction::kNone;
  else if (f < 0.05)
    fraction = Fraction::kMicros;
  kv(w, "created_at", format_time(ms, fraction, offset, static_cast<unsigned>(rng.below(1000))));

  double c = rng.unit();
  if (c < 0.20) {
    string_array(w, "data_classification", sample(rng, kClassifications, rng.chance(0.7) ? 1 : 2));
  } else if (c < 0.35) {
    kv(w, "data_classification", rng.pick(kClassifications));
  }

  // Fields no mapping knows: newer gateway builds add them before the schema catches up.
  if (rng.chance(0.05)) kv(w, "gateway_region", rng.pick(kRegions));
  if (rng.chance(0.03)) {
    key(w, "latency_ms");
    w.Int(static_cast<int>(rng.range(2, 900)));
  }
  if (rng.chance(0.02)) kv(w, "trace_id", hex_id(rng, 32));
  w.EndObject();
}

// ---------------------------------------------------------------------------------------------
// governance_audit

struct GovernancePolicy {
  std::string id;
  std::string name;
  int slot;  // 0: null
  std::string enforcement;
};

const std::vector<GovernancePolicy> kGovernancePolicies = {
    {"gpol_7f3a9c21", "Production - HIPAA", 1, "hard_block"},
    {"gpol_1b8e44d0", "Production - PCI", 2, "hard_block"},
    {"gpol_c02d91fe", "Production - Default", 3, "soft_block"},
    {"gpol_5e6f7a8b", "Staging - Observe", 0, "warn"},
    {"gpol_9a0b1c2d", "EU Data Residency", 4, "hard_block"},
    {"gpol_3c4d5e6f", "Trusted Providers Only", 5, "hard_block"},
    {"gpol_a1b2c3d4", "Internal Tools", 6, "soft_block"},
    {"gpol_e5f60718", "Customer Support", 7, "warn"},
    {"gpol_293a4b5c", "Research Sandbox", 0, "warn"},
    {"gpol_6d7e8f90", "Finance - SOX", 9, "hard_block"},
    {"gpol_0a1b2c3e", "Marketing", 11, "soft_block"},
    {"gpol_f00dfeed", "Legacy Apps", 12, "warn"},
};
const std::vector<double> kGovernancePolicyWeights = {20, 8, 25, 6, 8, 6, 6, 8, 3, 4, 4, 2};

// Reasons that do not depend on the request's model; see violation_reasons() for the others.
const std::vector<std::string> kViolations = {
    "Prompt contains an email address",
    "Prompt contains a US social security number",
    "Prompt contains a credit card number",
    "Request exceeds the maximum of 32000 input tokens",
    "Provider region 'us-east' violates EU data residency",
    "Prompt matches jailbreak pattern 'ignore previous instructions'",
    "API key is not allowed to use model family 'llama'",
    "Daily spend limit of $500.00 reached for this key",
};
const std::vector<std::string> kUserAgents = {
    "support-bot/2.3",
    "python-requests/2.32.3",
    "openai-python/1.54.0",
    "anthropic-sdk-ts/0.32.1",
    "langchain/0.3.7",
    "curl/8.5.0",
    "claims-worker/1.12.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
};

std::vector<std::string> violation_reasons(Rng& rng, size_t model) {
  const std::string& name = kModels[model];
  const std::string& provider = kProviders[model];
  if (provider == "deepseek" && rng.chance(0.9)) {
    std::vector<std::string> out{"Provider 'deepseek' is China-based and blocked by policy"};
    if (rng.chance(0.5))
      out.push_back("Provider 'deepseek' does not meet minimum trust tier 'most_trusted'");
    return out;
  }
  if (rng.chance(0.12)) return {"Model '" + name + "' is not on the approved model list"};
  return sample(rng, kViolations, rng.chance(0.75) ? 1 : 2);
}

std::string ip_address(Rng& rng) {
  char buf[64];
  double r = rng.unit();
  if (r < 0.80) {
    static const int kNets[][2] = {{198, 51}, {203, 0}, {192, 0}, {10, 20}, {172, 16}};
    const int* net = kNets[rng.below(5)];
    std::snprintf(buf, sizeof buf, "%d.%d.%d.%d", net[0], net[1] + static_cast<int>(rng.below(4)),
                  static_cast<int>(rng.below(256)), static_cast<int>(rng.range(1, 254)));
  } else if (r < 0.995) {
    if (rng.chance(0.5)) {
      std::snprintf(buf, sizeof buf, "2001:db8::%x", static_cast<unsigned>(rng.range(1, 0xffff)));
    } else {
      std::snprintf(
          buf, sizeof buf, "2001:db8:%x:%x::%x", static_cast<unsigned>(rng.below(0x10000)),
          static_cast<unsigned>(rng.below(0x10000)), static_cast<unsigned>(rng.range(1, 0xffff)));
    }
  } else {
    return "unknown";  // proxies that lose the client address (→ policy.unmapped.ipAddress)
  }
  return buf;
}

void write_governance_audit(Writer& w, Rng& rng, int64_t ms) {
  const GovernancePolicy& policy = kGovernancePolicies[rng.weighted(kGovernancePolicyWeights)];
  size_t model = rng.weighted(kModelWeights);

  // Outcome: a violation happens on ~19% of requests; whether it blocks depends on enforcement.
  double v = rng.unit();
  bool violated = v < 0.19;
  bool allowed = true;
  if (violated) {
    if (policy.enforcement == "hard_block")
      allowed = false;
    else if (policy.enforcement == "soft_block")
      allowed = rng.chance(0.5);
  }
  // Blocked before routing: no provider was chosen.
  bool provider_null = !allowed && rng.chance(0.6);

  w.StartObject();
  kv(w, "id", "audit_" + alnum_id(rng, 12));
  char buf[32];
  std::snprintf(buf, sizeof buf, "org_%02d", static_cast<int>(rng.skewed(40, 2.0)) + 1);
  kv(w, "orgId", buf);
  if (rng.chance(0.9)) {
    std::snprintf(buf, sizeof buf, "key_%d", static_cast<int>(rng.skewed(600, 2.0)) + 1);
    kv(w, "apiKeyId", buf);
  }
  if (rng.chance(0.97)) kv(w, "requestId", "req_" + alnum_id(rng, 12));
  Fraction fraction = Fraction::kMillis;
  double f = rng.unit();
  if (f < 0.05)
    fraction = Fraction::kNone;
  else if (f < 0.08)
    fraction = Fraction::kTenths;
  kv(w, "timestamp", format_time(ms, fraction, 0, 0));
  kv(w, "model", kModels[model]);
  key(w, "provider");
  if (provider_null)
    w.Null();
  else
    str(w, kProviders[model]);
  kv(w, "policyId", policy.id);
  if (rng.chance(0.97)) kv(w, "policyName", policy.name);
  key(w, "policySlot");
  if (policy.slot == 0)
    w.Null();
  else
    w.Int(policy.slot);
  key(w, "allowed");
  w.Bool(allowed);
  kv(w, "enforcement", policy.enforcement);
  if (violated) {
    string_array(w, "violationReasons", violation_reasons(rng, model));
  } else if (rng.chance(0.02)) {
    string_array(w, "violationReasons", {});
  }
  if (rng.chance(0.97)) kv(w, "ipAddress", ip_address(rng));
  if (rng.chance(0.7)) kv(w, "userAgent", kUserAgents[rng.skewed(kUserAgents.size(), 1.5)]);
  if (rng.chance(0.03)) {
    key(w, "latencyMs");
    w.Int(static_cast<int>(rng.range(3, 1500)));
  }
  if (rng.chance(0.02)) kv(w, "region", rng.pick(kRegions));
  w.EndObject();
}

// ---------------------------------------------------------------------------------------------

[[noreturn]] void usage(const char* message) {
  if (message) std::fprintf(stderr, "auditrelay_bench_generate: %s\n", message);
  std::fprintf(stderr,
               "usage: auditrelay_bench_generate --schema policy_gateway|governance_audit|mixed "
               "--count N [--seed S] [--out FILE]\n");
  std::exit(2);
}

bool parse_u64(const char* s, uint64_t& out) {
  if (!s || !*s) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || s[0] == '-') return false;
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string schema;
  uint64_t count = 0;
  bool have_count = false;
  uint64_t seed = 42;
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (a == "--schema") {
      schema = value();
    } else if (a == "--count") {
      if (!parse_u64(value(), count)) usage("bad --count");
      have_count = true;
    } else if (a == "--seed") {
      if (!parse_u64(value(), seed)) usage("bad --seed");
    } else if (a == "--out") {
      out_path = value();
    } else if (a == "-h" || a == "--help") {
      usage(nullptr);
    } else {
      usage("unknown argument");
    }
  }
  if (schema != "policy_gateway" && schema != "governance_audit" && schema != "mixed")
    usage("--schema must be policy_gateway, governance_audit or mixed");
  if (!have_count) usage("--count is required");

  FILE* out = stdout;
  if (!out_path.empty() && out_path != "-") {
    out = std::fopen(out_path.c_str(), "wb");
    if (!out) {
      std::fprintf(stderr, "auditrelay_bench_generate: %s: %s\n", out_path.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  static char file_buffer[1 << 20];
  std::setvbuf(out, file_buffer, _IOFBF, sizeof file_buffer);

  Rng rng(seed);
  Clock clock(kStartMs);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  uint64_t bytes[2] = {0, 0};
  uint64_t records[2] = {0, 0};
  for (uint64_t i = 0; i < count; ++i) {
    sb.Clear();
    w.Reset(sb);
    int64_t ms = clock.tick(rng);
    bool gateway = schema == "policy_gateway" || (schema == "mixed" && rng.chance(0.5));
    if (gateway)
      write_policy_gateway(w, rng, ms);
    else
      write_governance_audit(w, rng, ms);
    sb.Put('\n');
    size_t n = sb.GetSize();
    if (std::fwrite(sb.GetString(), 1, n, out) != n) {
      std::fprintf(stderr, "auditrelay_bench_generate: write failed: %s\n", std::strerror(errno));
      return 1;
    }
    bytes[gateway ? 0 : 1] += n;
    records[gateway ? 0 : 1] += 1;
  }
  if (std::fflush(out) != 0 || (out != stdout && std::fclose(out) != 0)) {
    std::fprintf(stderr, "auditrelay_bench_generate: write failed: %s\n", std::strerror(errno));
    return 1;
  }
  const char* names[2] = {"policy_gateway", "governance_audit"};
  for (int s = 0; s < 2; ++s) {
    if (records[s] == 0) continue;
    std::fprintf(stderr, "%s: %llu records, %llu bytes, average %.1f bytes/record\n", names[s],
                 static_cast<unsigned long long>(records[s]),
                 static_cast<unsigned long long>(bytes[s]),
                 static_cast<double>(bytes[s]) / static_cast<double>(records[s]));
  }
  return 0;
}
