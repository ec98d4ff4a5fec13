// Records that must be rejected with the right reason, without crashing, and without
// disturbing the next record.
#include <string>

#include "agent/normalize/normalizer.h"
#include "tests/agent/normalize/normalize_test_support.h"

namespace auditrelay::test {
namespace {

const std::string kGood =
    R"({"policy_id":"p","decision":"allow","created_at":"2026-01-16T18:22:11Z"})";

// Rejects `raw` with `reason`, then normalizes a good record with the same Normalizer.
void check_rejected_then_recovers(std::string_view raw, RejectReason reason) {
  Normalizer normalizer({});
  const Normalized bad = run(normalizer, raw);
  REQUIRE(bad.rejection.has_value());
  CHECK(to_string(bad.rejection->reason) == to_string(reason));
  CHECK_FALSE(bad.rejection->message.empty());
  const Normalized good = run(normalizer, kGood);
  REQUIRE(good.ok());
  CHECK(str(good, "policy.policy_id") == "p");
  CHECK(good.json == run(kGood).json);
}

TEST_CASE("malformed JSON") {
  check_rejected_then_recovers(R"({"policy_id":"p","decision":)", RejectReason::kInvalidJson);
  check_rejected_then_recovers(R"({"policy_id":'p'})", RejectReason::kInvalidJson);
  check_rejected_then_recovers(kGood + "}", RejectReason::kInvalidJson);
  check_rejected_then_recovers(kGood + " " + kGood, RejectReason::kInvalidJson);
  check_rejected_then_recovers(R"({"a":1,})", RejectReason::kInvalidJson);
}

TEST_CASE("the invalid_json message carries RapidJSON's text and the offset") {
  const Normalized n = run(R"({"a" 1})");
  REQUIRE(n.rejection.has_value());
  CHECK(n.rejection->message == "Missing a colon after a name of object member. at offset 5");
}

TEST_CASE("binary garbage") {
  const std::string garbage("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe", 18);
  check_rejected_then_recovers(garbage, RejectReason::kInvalidJson);
  check_rejected_then_recovers(std::string("{\"a\":1}\0{\"b\":2}", 15), RejectReason::kInvalidJson);
  check_rejected_then_recovers("\xff\xfe{}", RejectReason::kInvalidJson);
}

TEST_CASE("invalid UTF-8 inside a string") {
  check_rejected_then_recovers("{\"policy_id\":\"p\xc3\x28\",\"decision\":\"allow\"}",
                               RejectReason::kInvalidUtf8);
  check_rejected_then_recovers("{\"k\xff\":1}", RejectReason::kInvalidUtf8);
  check_rejected_then_recovers("{\"a\":\"\xed\xa0\x80\"}",
                               RejectReason::kInvalidUtf8);                          // surrogate
  check_rejected_then_recovers("{\"a\":\"\xc0\xaf\"}", RejectReason::kInvalidUtf8);  // overlong
  // Escapes that would decode to invalid UTF-8: a lone low surrogate, in ASCII and non-ASCII
  // records (the two parse paths).
  check_rejected_then_recovers(R"({"a":"\udc00"})", RejectReason::kInvalidUtf8);
  check_rejected_then_recovers("{\"a\":\"\xc3\xa9\\uDFFF\"}", RejectReason::kInvalidUtf8);
  // A lone high surrogate is a JSON error.
  check_rejected_then_recovers(R"({"a":"\ud800x"})", RejectReason::kInvalidJson);
}

TEST_CASE("a 10 MB line of '[' is rejected without a crash") {
  const std::string brackets(10 * 1024 * 1024, '[');
  Normalizer normalizer({});
  const Normalized n = run(normalizer, brackets);
  REQUIRE(n.rejection.has_value());
  CHECK((n.rejection->reason == RejectReason::kTooDeep ||
         n.rejection->reason == RejectReason::kInvalidJson));
  CHECK(run(normalizer, kGood).ok());
  // Also with a limit so high it is clamped.
  NormalizeOptions options;
  options.max_depth = 4'000'000'000u;
  Normalizer unlimited(options);
  CHECK(run(unlimited, brackets).reason() == RejectReason::kTooDeep);
}

TEST_CASE("empty and whitespace-only records") {
  check_rejected_then_recovers("", RejectReason::kEmpty);
  check_rejected_then_recovers("   ", RejectReason::kEmpty);
  check_rejected_then_recovers(" \t\r\n ", RejectReason::kEmpty);
}

TEST_CASE("top-level values other than objects") {
  check_rejected_then_recovers(R"([{"policy_id":"p"}])", RejectReason::kNotAnObject);
  check_rejected_then_recovers("42", RejectReason::kNotAnObject);
  check_rejected_then_recovers(R"("text")", RejectReason::kNotAnObject);
  check_rejected_then_recovers("null", RejectReason::kNotAnObject);
  CHECK(run("42").rejection->message == "record must be a JSON object, got number");
}

std::string nested(unsigned depth) {
  std::string inner(depth - 1, '[');
  inner.append(depth - 1, ']');
  return kGood.substr(0, kGood.size() - 1) + R"(,"deep":)" + inner + "}";
}

TEST_CASE("nesting deeper than max_depth") {
  NormalizeOptions options;
  options.max_depth = 8;
  Normalizer normalizer(options);
  CHECK(run(normalizer, nested(8)).ok());  // the record object is level 1
  const Normalized n = run(normalizer, nested(9));
  CHECK(n.reason() == RejectReason::kTooDeep);
  CHECK(run(normalizer, kGood).ok());
  CHECK(run(nested(32)).ok());  // the default limit
  check_rejected_then_recovers(nested(33), RejectReason::kTooDeep);
}

TEST_CASE("a missing required field") {
  check_rejected_then_recovers(R"({"policy_id":"p","decision":"allow"})",
                               RejectReason::kMissingField);
}

TEST_CASE("a mistyped field") {
  check_rejected_then_recovers(
      R"({"policy_id":"p","decision":"allow","created_at":"2026-01-16T18:22:11Z","enforced":"yes"})",
      RejectReason::kWrongType);
}

TEST_CASE("an unparsable timestamp") {
  check_rejected_then_recovers(
      R"({"policy_id":"p","decision":"allow","created_at":"2026-02-30T00:00:00Z"})",
      RejectReason::kInvalidTimestamp);
}

TEST_CASE("an unknown schema") {
  check_rejected_then_recovers(R"({"msg":"hi"})", RejectReason::kUnknownSchema);
}

TEST_CASE("escapes and unicode survive") {
  const Normalized n = run(
      R"({"policy_id":"p\u00e9\"\\\n\u0000x","decision":"allow","created_at":"2026-01-16T18:22:11Z",)"
      R"("note":"日本語 \ud83d\ude00"})");
  REQUIRE(n.ok());
  CHECK(at(n.doc, "policy.policy_id")->GetStringLength() == 8);
  CHECK(str(n, "policy.unmapped.note") == "日本語 😀");
  // Code points next to the surrogate range, escaped and raw (U+D7FF is ED 9F BF).
  const Normalized edge = run(kGood.substr(0, kGood.size() - 1) + R"(,"e":"\ud7ff\ue000","r":")"
                                                                  "\xed\x9f\xbf"
                                                                  R"("})");
  REQUIRE(edge.ok());
  CHECK(str(edge, "policy.unmapped.e") == "\xed\x9f\xbf\xee\x80\x80");
  CHECK(str(edge, "policy.unmapped.r") == "\xed\x9f\xbf");
}

TEST_CASE("reason names") {
  CHECK(to_string(RejectReason::kInvalidJson) == "invalid_json");
  CHECK(to_string(RejectReason::kInvalidUtf8) == "invalid_utf8");
  CHECK(to_string(RejectReason::kNotAnObject) == "not_an_object");
  CHECK(to_string(RejectReason::kTooDeep) == "too_deep");
  CHECK(to_string(RejectReason::kTooLarge) == "too_large");
  CHECK(to_string(RejectReason::kEmpty) == "empty");
  CHECK(to_string(RejectReason::kUnknownSchema) == "unknown_schema");
  CHECK(to_string(RejectReason::kMissingField) == "missing_field");
  CHECK(to_string(RejectReason::kWrongType) == "wrong_type");
  CHECK(to_string(RejectReason::kInvalidValue) == "invalid_value");
  CHECK(to_string(RejectReason::kInvalidTimestamp) == "invalid_timestamp");
}

TEST_CASE("schema names") {
  Schema s = Schema::kAuto;
  CHECK(parse_schema("governance_audit", s));
  CHECK(s == Schema::kGovernanceAudit);
  CHECK(parse_schema("policy_gateway", s));
  CHECK(s == Schema::kPolicyGateway);
  CHECK(parse_schema("auto", s));
  CHECK(s == Schema::kAuto);
  CHECK_FALSE(parse_schema("Auto", s));
  CHECK(to_string(Schema::kGovernanceAudit) == "governance_audit");
}

}  // namespace
}  // namespace auditrelay::test
