// MAPPING.md §3: schema auto, including the pass-through of already-normalized events.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

#include "agent/normalize/normalizer.h"
#include "tests/agent/normalize/normalize_test_support.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::test {
namespace {

std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return buffer.GetString();
}

std::string expected_event() {
  return read_file(shared_dir() / "samples" / "expected" / "policy_gateway.sample-event.json");
}

TEST_CASE("each schema is recognized, with the same result as when named") {
  Normalizer normalizer({});
  for (const std::string& line : sample_lines("policy_gateway.jsonl")) {
    const Normalized a = run(normalizer, line, Schema::kAuto);
    const Normalized b = run(normalizer, line, Schema::kPolicyGateway);
    REQUIRE(a.ok());
    CHECK(a.json == b.json);
    CHECK(a.id == b.id);
  }
  for (const std::string& line : sample_lines("governance_audit.jsonl")) {
    const Normalized a = run(normalizer, line, Schema::kAuto);
    const Normalized b = run(normalizer, line, Schema::kGovernanceAudit);
    REQUIRE(a.ok());
    CHECK(a.json == b.json);
  }
}

TEST_CASE("governance_audit wins when both schemas' keys are there") {
  const Normalized n =
      run(R"({"id":"a","timestamp":"2025-01-10T14:30:00Z","policyId":"g","allowed":false,)"
          R"("enforcement":"warn","model":"m","policy_id":"x","decision":"allow"})");
  REQUIRE(n.ok());
  CHECK(str(n, "event.action") == "block");
  CHECK(str(n, "policy.unmapped.decision") == "allow");
}

TEST_CASE("presence decides the schema; validation then names the problem") {
  CHECK(run(R"({"policyId":"g","allowed":true})").reason() == RejectReason::kMissingField);
  CHECK(run(R"({"policy_id":"p","decision":"allow"})").reason() == RejectReason::kMissingField);
  CHECK(run(R"({"policyId":"g","allowed":"yes","id":"a","timestamp":"2025-01-10T14:30:00Z",)"
            R"("enforcement":"warn","model":"m"})")
            .reason() == RejectReason::kWrongType);
}

TEST_CASE("anything else is unknown_schema") {
  for (std::string_view raw :
       {R"({})", R"({"policyId":"g"})", R"({"policy_id":"p","created_at":"x"})",
        R"({"data_stream":{},"policy":"not an object"})", R"({"data_stream":{}})",
        R"({"message":"hello"})"}) {
    CAPTURE(raw);
    CHECK(run(raw).reason() == RejectReason::kUnknownSchema);
  }
}

TEST_CASE("a named schema does not fall back to another") {
  CHECK(run(sample_lines("governance_audit.jsonl").at(0), Schema::kPolicyGateway).reason() ==
        RejectReason::kMissingField);
  CHECK(run(sample_lines("policy_gateway.jsonl").at(0), Schema::kGovernanceAudit).reason() ==
        RejectReason::kMissingField);
}

TEST_CASE("a normalized event passes through; @timestamp and event.id are filled in") {
  const std::string raw = expected_event();
  Normalizer normalizer({});
  const Normalized n = run(normalizer, raw, Schema::kAuto, 99);
  REQUIRE(n.ok());
  CHECK(str(n, "@timestamp") == "2026-01-16T18:22:11.000Z");  // from policy.created_at
  CHECK(n.id == derive_record_id({kTestSourceKey, 99}, raw));
  CHECK(str(n, "event.id") == n.id);
  CHECK(n.index == "logs-policy_gateway.audit-prod");  // the event's own data stream

  // Everything else is unchanged, in the same order.
  rapidjson::Document input;
  input.Parse(raw.c_str());
  rapidjson::Document output;
  output.Parse(n.json.c_str());
  output.EraseMember("@timestamp");
  output["event"].EraseMember("id");
  CHECK(compact(output) == compact(input));
  CHECK(keys(n.doc).front() == "@timestamp");
}

TEST_CASE("a complete normalized event passes through byte for byte") {
  Normalizer normalizer({});
  const Normalized first = run(normalizer, sample_lines("policy_gateway.jsonl").at(3));
  REQUIRE(first.ok());
  const Normalized again = run(normalizer, first.json, Schema::kAuto, 12345);
  REQUIRE(again.ok());
  CHECK(again.json == first.json);
  CHECK(again.id == first.id);
  CHECK(again.index == first.index);
}

TEST_CASE("pass-through details") {
  const std::string head = R"({"data_stream":{"type":"logs","dataset":"d","namespace":"n"},)";
  SUBCASE("no event object: one is added with the id") {
    const Normalized n =
        run(head + R"("policy":{"created_at":"2026-01-16T18:22:11+02:00"}})", Schema::kAuto);
    REQUIRE(n.ok());
    CHECK(str(n, "@timestamp") == "2026-01-16T16:22:11.000Z");
    CHECK(str(n, "event.id") == n.id);
    CHECK(n.index == "logs-d-n");
  }
  SUBCASE("own event.id and @timestamp are kept") {
    const Normalized n = run(head + R"("@timestamp":"whatever","event":{"id":"e1"},"policy":{}})");
    REQUIRE(n.ok());
    CHECK(n.id == "e1");
    CHECK(str(n, "@timestamp") == "whatever");
  }
  SUBCASE("an empty or null event.id is replaced") {
    for (std::string_view id : {R"("")", "null"}) {
      const Normalized n = run(head + R"("@timestamp":"t","event":{"id":)" + std::string(id) +
                               R"(,"kind":"event"},"policy":{}})");
      REQUIRE(n.ok());
      CHECK(n.id.size() == 32);
      CHECK(str(n, "event.id") == n.id);
      CHECK(keys(*at(n.doc, "event")) == std::vector<std::string>{"kind", "id"});
    }
  }
  SUBCASE("missing data_stream parts fall back to the options") {
    const Normalized n = run(R"({"data_stream":{"dataset":"x"},"@timestamp":"t","policy":{}})");
    CHECK(n.index == "logs-x-default");
  }
  SUBCASE("no @timestamp and no policy.created_at") {
    CHECK(run(head + R"("policy":{}})").reason() == RejectReason::kMissingField);
  }
  SUBCASE("an unparsable policy.created_at") {
    const Normalized n = run(head + R"("policy":{"created_at":"yesterday"}})");
    CHECK(n.reason() == RejectReason::kInvalidTimestamp);
    CHECK(n.rejection->message ==
          "field 'policy.created_at' is not an RFC 3339 timestamp: \"yesterday\"");
  }
  SUBCASE("duplicate keys do not confuse it") {
    const Normalized n = run(
        R"({"policy":"x","data_stream":1,"data_stream":{},"policy":{"created_at":"2026-01-16T18:22:11Z"}})");
    CHECK(n.reason() == RejectReason::kMissingField);  // the first `policy` has no created_at
  }
  SUBCASE("wrong types") {
    CHECK(run(head + R"("policy":{"created_at":5}})").reason() == RejectReason::kWrongType);
    CHECK(run(head + R"("@timestamp":"t","event":[],"policy":{}})").reason() ==
          RejectReason::kWrongType);
    CHECK(run(head + R"("@timestamp":"t","event":{"id":7},"policy":{}})").reason() ==
          RejectReason::kWrongType);
  }
}

}  // namespace
}  // namespace auditrelay::test
