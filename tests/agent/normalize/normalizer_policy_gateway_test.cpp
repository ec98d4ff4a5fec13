// MAPPING.md §1, row by row, for schema policy_gateway.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <utility>

#include "agent/normalize/normalizer.h"
#include "tests/agent/normalize/normalize_test_support.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::test {
namespace {

constexpr Schema kSchema = Schema::kPolicyGateway;

// The smallest valid record plus `extra` members (each starting with ',').
std::string record(std::string_view extra = "",
                   std::string_view created_at = "2026-01-16T18:22:11Z") {
  std::string r = R"({"policy_id":"p1","decision":"allow","created_at":")";
  r.append(created_at).append("\"").append(extra).append("}");
  return r;
}

NormalizeOptions prod_options() {
  NormalizeOptions options;
  options.namespace_ = "prod";
  return options;
}

// Every member of `expected` is in `actual` with an identical value (objects recursively;
// arrays and scalars compared whole).
void check_contains(const rapidjson::Value& expected, const rapidjson::Value& actual,
                    const std::string& path) {
  if (!expected.IsObject()) {
    CHECK_MESSAGE(expected == actual, "field ", path, " differs");
    return;
  }
  REQUIRE_MESSAGE(actual.IsObject(), "field ", path, " is not an object");
  for (const auto& m : expected.GetObject()) {
    const std::string name = path.empty() ? m.name.GetString() : path + "." + m.name.GetString();
    const auto it = actual.FindMember(m.name);
    if (it == actual.MemberEnd()) {
      FAIL_CHECK("field ", name, " is missing");
      continue;
    }
    check_contains(m.value, it->value, name);
  }
}

TEST_CASE("the first sample record contains every field of the expected sample event") {
  const Normalized n = run(sample_lines("policy_gateway.jsonl").at(0), kSchema, prod_options());
  REQUIRE(n.ok());
  rapidjson::Document expected;
  const std::string text =
      read_file(shared_dir() / "samples" / "expected" / "policy_gateway.sample-event.json");
  expected.Parse(text.c_str());
  REQUIRE_FALSE(expected.HasParseError());
  check_contains(expected, n.doc, "");
  CHECK(str(n, "@timestamp") == "2026-01-16T18:22:11.000Z");
  CHECK(n.index == "logs-policy_gateway.audit-prod");
}

TEST_CASE("every sample record normalizes") {
  Normalizer normalizer(prod_options());
  for (const std::string& line : sample_lines("policy_gateway.jsonl")) {
    const Normalized n = run(normalizer, line, kSchema);
    CHECK_MESSAGE(n.ok(), line);
  }
}

TEST_CASE("@timestamp is created_at in UTC with milliseconds") {
  CHECK(str(run(record("", "2026-01-16T18:22:11Z"), kSchema), "@timestamp") ==
        "2026-01-16T18:22:11.000Z");
  CHECK(str(run(record("", "2026-01-16T18:22:12.250Z"), kSchema), "@timestamp") ==
        "2026-01-16T18:22:12.250Z");
  CHECK(str(run(record("", "2026-01-16T19:22:13+01:00"), kSchema), "@timestamp") ==
        "2026-01-16T18:22:13.000Z");
  CHECK(str(run(record("", "2026-01-16T18:22:14.123456789Z"), kSchema), "@timestamp") ==
        "2026-01-16T18:22:14.123Z");
}

TEST_CASE("data_stream, service and event.dataset come from the options") {
  SUBCASE("defaults") {
    const Normalized n = run(record(), kSchema);
    CHECK(str(n, "data_stream.type") == "logs");
    CHECK(str(n, "data_stream.dataset") == "policy_gateway.audit");
    CHECK(str(n, "data_stream.namespace") == "default");
    CHECK(str(n, "service.name") == "policy-gateway");
    CHECK(str(n, "event.dataset") == "policy_gateway.audit");
    CHECK(n.index == "logs-policy_gateway.audit-default");
  }
  SUBCASE("configured") {
    NormalizeOptions options;
    options.dataset = "gw.decisions";
    options.namespace_ = "staging";
    options.service_name = "gw";
    const Normalized n = run(record(), kSchema, options);
    CHECK(str(n, "data_stream.dataset") == "gw.decisions");
    CHECK(str(n, "data_stream.namespace") == "staging");
    CHECK(str(n, "service.name") == "gw");
    CHECK(str(n, "event.dataset") == "gw.decisions");
    CHECK(n.index == "logs-gw.decisions-staging");
  }
  SUBCASE("escaped in the output") {
    NormalizeOptions options;
    options.service_name = "gw \"é\" \\ x";
    const Normalized n = run(record(), kSchema, options);
    CHECK(str(n, "service.name") == options.service_name);
  }
}

TEST_CASE("event.action, kind and category") {
  const Normalized n =
      run(R"({"policy_id":"p","decision":"Rewrite","created_at":"2026-01-16T18:22:11Z"})", kSchema);
  CHECK(str(n, "event.action") == "Rewrite");
  CHECK(str(n, "event.kind") == "event");
  CHECK(strings(n, "event.category") == std::vector<std::string>{"api"});
}

std::string with_decisions(std::string_view decision, std::string_view effective) {
  std::string r = R"({"policy_id":"p","decision":")";
  r.append(decision).append("\",\"created_at\":\"2026-01-16T18:22:11Z\"");
  if (!effective.empty()) r.append(",\"effective_decision\":").append(effective);
  return r.append("}");
}

TEST_CASE("event.type and event.outcome follow the effective decision") {
  struct Row {
    std::string_view decision;
    std::vector<std::string> type;
    std::string_view outcome;
  };
  const Row rows[] = {
      {"allow", {"allowed"}, "success"},
      {"Allowed", {"allowed"}, "success"},
      {"PASS", {"allowed"}, "success"},
      {"block", {"denied"}, "failure"},
      {"BLOCKED", {"denied"}, "failure"},
      {"deny", {"denied"}, "failure"},
      {"denied", {"denied"}, "failure"},
      {"Reject", {"denied"}, "failure"},
      {"rewrite", {"allowed", "change"}, "success"},
      {"redact", {"allowed", "change"}, "success"},
      {"MASK", {"allowed", "change"}, "success"},
      {"modify", {"allowed", "change"}, "success"},
      {"warn", {"allowed", "info"}, "success"},
      {"flag", {"allowed", "info"}, "success"},
      {"Monitor", {"allowed", "info"}, "success"},
      {"log", {"allowed", "info"}, "success"},
      {"escalate", {"info"}, "unknown"},
      {"", {"info"}, "unknown"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.decision);
    const std::string quoted = "\"" + std::string(row.decision) + "\"";
    const Normalized n = run(with_decisions("something-else", quoted), kSchema);
    CHECK(strings(n, "event.type") == row.type);
    CHECK(str(n, "event.outcome") == row.outcome);
  }
  SUBCASE("decision is the fallback when effective_decision is absent or null") {
    CHECK(strings(run(with_decisions("block", ""), kSchema), "event.type") ==
          std::vector<std::string>{"denied"});
    CHECK(strings(run(with_decisions("block", "null"), kSchema), "event.type") ==
          std::vector<std::string>{"denied"});
  }
  SUBCASE("event.action stays the decision") {
    CHECK(str(run(with_decisions("block", "\"allow\""), kSchema), "event.action") == "block");
  }
}

TEST_CASE("event.reason, user.id and gen_ai.request.model, only when present") {
  const Normalized full =
      run(record(R"(,"reason_code":"DENYLIST_MATCH","policy_user":"u1","model":"m1")"), kSchema);
  CHECK(str(full, "event.reason") == "DENYLIST_MATCH");
  CHECK(str(full, "user.id") == "u1");
  CHECK(str(full, "gen_ai.request.model") == "m1");
  const Normalized bare = run(record(), kSchema);
  CHECK_FALSE(has(bare, "event.reason"));
  CHECK_FALSE(has(bare, "user"));
  CHECK_FALSE(has(bare, "gen_ai"));
}

TEST_CASE("event.id is the record's own id, else derived") {
  Normalizer normalizer({});
  SUBCASE("id") {
    const Normalized n = run(normalizer, record(R"(,"event_id":"e-2","id":"rec-1")"), kSchema);
    CHECK(str(n, "event.id") == "rec-1");
    CHECK(n.id == "rec-1");
    CHECK(str(n, "policy.unmapped.id") == "rec-1");
  }
  SUBCASE("event_id") {
    const Normalized n = run(normalizer, record(R"(,"event_id":"e-2")"), kSchema);
    CHECK(n.id == "e-2");
    CHECK(str(n, "event.id") == "e-2");
  }
  SUBCASE("derived when absent, empty or not a string") {
    for (std::string_view extra : {"", R"(,"id":"")", R"(,"id":42)", R"(,"event_id":null)"}) {
      const std::string raw = record(extra);
      const Normalized n = run(normalizer, raw, kSchema, 7);
      CHECK(n.id == derive_record_id({kTestSourceKey, 7}, raw));
      CHECK(str(n, "event.id") == n.id);
    }
  }
}

TEST_CASE("policy.* holds every listed field verbatim with its JSON type") {
  const std::string raw =
      R"({"policy_id":"support-guardrails","decision":"rewrite","effective_decision":"allow",)"
      R"("reason_code":"REWRITE","policy_user":"user-1","project_id":"proj","policy_target":"tgt",)"
      R"("rollout_mode":"shadow","enforced":false,"triggered_categories":["a","b"],)"
      R"("allowlist_hits":["x"],"denylist_hits":[],"model":"m","created_at":"2026-01-16T19:22:13+01:00",)"
      R"("data_classification":["pii","confidential"]})";
  const Normalized n = run(raw, kSchema);
  REQUIRE(n.ok());
  rapidjson::Document input;
  input.Parse(raw.c_str());
  const rapidjson::Value* policy = at(n.doc, "policy");
  REQUIRE(policy != nullptr);
  for (const auto& m : std::as_const(input).GetObject()) {
    CAPTURE(m.name.GetString());
    const auto it = policy->FindMember(m.name);
    REQUIRE(it != policy->MemberEnd());
    CHECK(it->value == m.value);
  }
  CHECK(keys(*policy) == keys(input));  // listed order, and nothing else
}

TEST_CASE("data_classification is always an array") {
  CHECK(strings(run(record(R"(,"data_classification":"restricted")"), kSchema),
                "policy.data_classification") == std::vector<std::string>{"restricted"});
  CHECK(strings(run(record(R"(,"data_classification":["pii","x"])"), kSchema),
                "policy.data_classification") == std::vector<std::string>{"pii", "x"});
}

TEST_CASE("policy.unmapped holds every other field verbatim, and is left out when empty") {
  const Normalized n =
      run(record(R"(,"gateway_region":"eu-west-1","latency":{"ms":12.5,"hops":[1,2]},"n":null)"),
          kSchema);
  CHECK(str(n, "policy.unmapped.gateway_region") == "eu-west-1");
  const rapidjson::Value* latency = at(n.doc, "policy.unmapped.latency");
  REQUIRE(latency != nullptr);
  rapidjson::Document expected;
  expected.Parse(R"({"ms":12.5,"hops":[1,2]})");
  CHECK(*latency == expected);
  REQUIRE(has(n, "policy.unmapped.n"));
  CHECK(at(n.doc, "policy.unmapped.n")->IsNull());
  CHECK_FALSE(has(run(record(), kSchema), "policy.unmapped"));
}

TEST_CASE("policy.unmapped values are written exactly as rapidjson writes them") {
  // Every JSON type, the integer extremes, doubles, escapes in keys and strings, nesting.
  const std::string values =
      R"({"i":-9223372036854775808,"u":18446744073709551615,"z":0,"d":-0.5,"e":1E2,)"
      R"("g":1.7976931348623157e308,"t":true,"f":false,"n":null,"s":"a\"b\\c\u0001\u00e9",)"
      R"("k\"ey":{"nested":[[],{},[1,[2,{"x":"y"}]]]},"empty":"","arr":[true,null,-1,2.25]})";
  rapidjson::Document input;
  input.Parse(values.c_str(), values.size());
  REQUIRE_FALSE(input.HasParseError());
  rapidjson::StringBuffer expected;
  rapidjson::Writer<rapidjson::StringBuffer> writer(expected);
  input.Accept(writer);
  const Normalized n = run(record("," + values.substr(1, values.size() - 2)), kSchema);
  REQUIRE(n.ok());
  const std::string written = "\"unmapped\":" + std::string(expected.GetString()) + "}}";
  CHECK(n.json.substr(n.json.size() - written.size()) == written);
}

TEST_CASE("strings skip the escape check only in records without a backslash") {
  // Strings are copied unchecked when the record's text holds no backslash; one backslash
  // anywhere, even in an escape that decodes to a plain byte, gets them all checked. The same
  // normalizer runs a record of each kind in turn, so the choice is made per record.
  Normalizer normalizer(NormalizeOptions{});
  const std::string plain = record(R"(,"policy_user":"ü/'#]","k#":{"a'":["x y",1]})");
  const std::string escaped =
      record(R"(,"policy_user":"q\"u","k\"#":{"a\/":["x\ty",1]},"model":"\u00fc")");
  for (int round = 0; round < 2; ++round) {
    for (const std::string& raw : {plain, escaped}) {
      CAPTURE(raw);
      const Normalized n = run(normalizer, raw, kSchema);
      REQUIRE(n.ok());  // run() parses the document back: it must be valid JSON
      rapidjson::Document input;
      input.Parse(raw.c_str(), raw.size());
      REQUIRE_FALSE(input.HasParseError());
      for (const auto& member : input.GetObject()) {
        const std::string_view key = member.name.GetString();
        if (key == "policy_user") {
          CHECK(*at(n.doc, "user.id") == member.value);
        } else if (key == "model") {
          CHECK(*at(n.doc, "gen_ai.request.model") == member.value);
        } else if (key != "policy_id" && key != "decision" && key != "created_at") {
          const rapidjson::Value* unmapped = at(n.doc, "policy.unmapped");
          REQUIRE(unmapped != nullptr);
          const auto it = unmapped->FindMember(member.name);
          REQUIRE(it != unmapped->MemberEnd());
          CHECK(it->value == member.value);
        }
      }
    }
  }
}

TEST_CASE("a null optional field is absent everywhere") {
  const Normalized n =
      run(record(R"(,"reason_code":null,"policy_user":null,"model":null,"enforced":null,)"
                 R"("triggered_categories":null,"data_classification":null)"),
          kSchema);
  REQUIRE(n.ok());
  CHECK_FALSE(has(n, "event.reason"));
  CHECK_FALSE(has(n, "user"));
  CHECK_FALSE(has(n, "gen_ai"));
  CHECK(keys(*at(n.doc, "policy")) ==
        std::vector<std::string>{"policy_id", "decision", "created_at"});
}

TEST_CASE("top-level keys come in a stable order") {
  const Normalized n = run(sample_lines("policy_gateway.jsonl").at(3), kSchema);
  CHECK(keys(n.doc) == std::vector<std::string>{"@timestamp", "data_stream", "service", "event",
                                                "user", "gen_ai", "policy"});
}

TEST_CASE("required fields") {
  for (std::string_view raw :
       {R"({"decision":"allow","created_at":"2026-01-16T18:22:11Z"})",
        R"({"policy_id":"p","created_at":"2026-01-16T18:22:11Z"})",
        R"({"policy_id":"p","decision":"allow"})",
        R"({"policy_id":null,"decision":"allow","created_at":"2026-01-16T18:22:11Z"})"}) {
    CAPTURE(raw);
    const Normalized n = run(raw, kSchema);
    CHECK(n.reason() == RejectReason::kMissingField);
  }
  CHECK(run(R"({"decision":"allow","created_at":"2026-01-16T18:22:11Z"})", kSchema)
            .rejection->message == "missing required field 'policy_id'");
}

TEST_CASE("wrong types are rejected, naming the field") {
  struct Row {
    std::string raw;
    std::string_view message;
  };
  const Row rows[] = {
      {record(R"(,"enforced":"yes")"), "field 'enforced' must be a boolean, got string"},
      {R"({"policy_id":1,"decision":"allow","created_at":"2026-01-16T18:22:11Z"})",
       "field 'policy_id' must be a string, got number"},
      {record(R"(,"model":["m"])"), "field 'model' must be a string, got array"},
      {record(R"(,"triggered_categories":"x")"),
       "field 'triggered_categories' must be an array of strings, got string"},
      {record(R"(,"denylist_hits":["a",1])"),
       "field 'denylist_hits' must be an array of strings, got an array with a number element"},
      {record(R"(,"data_classification":{"a":1})"),
       "field 'data_classification' must be a string or an array of strings, got object"},
      {record(R"(,"data_classification":[true])"),
       "field 'data_classification' must be an array of strings, got an array with a boolean "
       "element"},
      {R"({"policy_id":"p","decision":"allow","created_at":1768587731})",
       "field 'created_at' must be a string, got number"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.raw);
    const Normalized n = run(row.raw, kSchema);
    REQUIRE(n.rejection.has_value());
    CHECK(n.rejection->reason == RejectReason::kWrongType);
    CHECK(n.rejection->message == row.message);
  }
}

TEST_CASE("an unparsable created_at is rejected with the field and value") {
  const Normalized n = run(record("", "16/01/2026 18:22"), kSchema);
  REQUIRE(n.rejection.has_value());
  CHECK(n.rejection->reason == RejectReason::kInvalidTimestamp);
  CHECK(n.rejection->message ==
        "field 'created_at' is not an RFC 3339 timestamp: \"16/01/2026 18:22\"");
}

TEST_CASE("a known field given twice is rejected") {
  const Normalized n = run(record(R"(,"decision":"block")"), kSchema);
  CHECK(n.reason() == RejectReason::kInvalidJson);
}

TEST_CASE("a key is a known field only when every byte matches its name") {
  // Field names are compared a word at a time: a key one byte off a name, at any position, of
  // the lengths the names have (5 to 20 bytes), is not that field but an unmapped one.
  for (const std::string_view name : {"model", "project_id", "policy_user", "rollout_mode",
                                      "policy_target", "effective_decision"}) {
    CAPTURE(name);
    const Normalized same = run(record(R"(,")" + std::string(name) + R"(":"v")"), kSchema);
    REQUIRE(same.ok());
    CHECK(str(same, "policy." + std::string(name)) == "v");
    for (size_t at = 0; at < name.size(); ++at) {
      std::string key(name);
      key[at] = key[at] == 'x' ? 'y' : 'x';
      CAPTURE(key);
      const Normalized n = run(record(R"(,")" + key + R"(":"v")"), kSchema);
      REQUIRE(n.ok());
      CHECK_FALSE(has(n, "policy." + std::string(name)));
      CHECK(str(n, "policy.unmapped." + key) == "v");
    }
  }
}

}  // namespace
}  // namespace auditrelay::test
