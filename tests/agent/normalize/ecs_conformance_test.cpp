// Every ECS field a normalized document carries exists in ECS v9.4.0 with a compatible type
// (MAPPING.md, preamble). policy.* is ours and exempt.
#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "agent/normalize/normalizer.h"
#include "agent/normalize/timestamp.h"
#include "tests/agent/normalize/normalize_test_support.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::test {
namespace {

struct EcsField {
  std::string type;
  bool array = false;  // `normalize: [array]`
};

const std::map<std::string, EcsField>& ecs_fields() {
  static const std::map<std::string, EcsField> fields = [] {
    std::map<std::string, EcsField> out;
    const YAML::Node root =
        YAML::LoadFile((shared_dir() / "reference" / "ecs_flat-v9.4.0.yml").string());
    for (const auto& entry : root) {
      EcsField f;
      f.type = entry.second["type"].as<std::string>();
      if (const YAML::Node normalize = entry.second["normalize"]; normalize.IsSequence()) {
        for (const auto& n : normalize)
          f.array = f.array || n.as<std::string>() == "array";
      }
      out.emplace(entry.first.as<std::string>(), f);
    }
    return out;
  }();
  return fields;
}

bool one_of(const std::string& type, std::initializer_list<std::string_view> types) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// Whether a JSON scalar fits an ECS type; `name` is for the failure message only.
void check_scalar(const std::string& name, const rapidjson::Value& v, const EcsField& field) {
  CAPTURE(name);
  CAPTURE(field.type);
  if (v.IsString()) {
    const std::string s(v.GetString(), v.GetStringLength());
    CHECK(one_of(field.type, {"keyword", "constant_keyword", "wildcard", "match_only_text", "text",
                              "date", "ip"}));
    if (field.type == "date") CHECK(normalize::parse_rfc3339_millis(s).has_value());
    if (field.type == "ip") CHECK(is_ip(s));
  } else if (v.IsBool()) {
    CHECK(field.type == "boolean");
  } else if (v.IsInt64() || v.IsUint64()) {
    CHECK(one_of(field.type, {"long", "integer", "short", "byte", "unsigned_long"}));
  } else if (v.IsNumber()) {
    CHECK(one_of(field.type, {"float", "double", "scaled_float", "half_float"}));
  } else {
    FAIL_CHECK("unexpected JSON ", v.IsNull() ? "null" : "value");
  }
}

void check_leaf(const std::string& name, const rapidjson::Value& v) {
  const auto it = ecs_fields().find(name);
  if (it == ecs_fields().end()) {
    FAIL_CHECK("field ", name, " is not in ECS v9.4.0");
    return;
  }
  if (!v.IsArray()) {
    check_scalar(name, v, it->second);
    return;
  }
  CHECK_MESSAGE(it->second.array, "field ", name, " is an array but ECS does not say array");
  for (const auto& element : v.GetArray())
    check_scalar(name, element, it->second);
}

void check_object(const rapidjson::Value& object, const std::string& prefix, int& leaves) {
  for (const auto& m : object.GetObject()) {
    const std::string name = prefix + m.name.GetString();
    if (prefix.empty() && name == "policy") continue;  // our own field set
    if (m.value.IsObject()) {
      check_object(m.value, name + ".", leaves);
    } else {
      check_leaf(name, m.value);
      ++leaves;
    }
  }
}

std::vector<std::string> records() {
  std::vector<std::string> out = sample_lines("policy_gateway.jsonl");
  for (std::string& line : sample_lines("governance_audit.jsonl"))
    out.push_back(std::move(line));
  out.push_back(
      read_file(shared_dir() / "samples" / "expected" / "policy_gateway.sample-event.json"));
  // Edge records: every optional field set, odd but valid values.
  out.push_back(
      R"({"policy_id":"p","decision":"MASK","effective_decision":null,"reason_code":"R",)"
      R"("policy_user":"u","project_id":"x","policy_target":"t","rollout_mode":"shadow",)"
      R"("enforced":false,"triggered_categories":[],"allowlist_hits":["a"],"denylist_hits":["d"],)"
      R"("model":"m","created_at":"1999-12-31T23:59:59.999999-12:00","data_classification":"c",)"
      R"("id":"own","extra":{"deep":[1,{"x":null}]}})");
  out.push_back(R"({"policy_id":"p","decision":"odd","created_at":"2026-01-16T18:22:11Z"})");
  out.push_back(
      R"({"id":"g1","orgId":"o","apiKeyId":"k","requestId":"r","timestamp":"2025-01-10T14:30:00+05:45",)"
      R"("model":"m","provider":"p","policyId":"g","policyName":"n","policySlot":12,"allowed":false,)"
      R"("enforcement":"soft_block","violationReasons":["a","b"],"ipAddress":"::1",)"
      R"("userAgent":"ua","other":true})");
  out.push_back(
      R"({"id":"g2","timestamp":"2025-01-10T14:30:00Z","model":"m","policyId":"g","allowed":true,)"
      R"("enforcement":"warn","violationReasons":["v"],"ipAddress":"not-an-ip"})");
  return out;
}

TEST_CASE("every non-policy field is an ECS v9.4.0 field of a compatible type") {
  REQUIRE(ecs_fields().size() > 1000);
  Normalizer normalizer({});
  for (const std::string& raw : records()) {
    CAPTURE(raw);
    const Normalized n = run(normalizer, raw);
    REQUIRE(n.ok());
    int leaves = 0;
    check_object(n.doc, "", leaves);
    CHECK(leaves >= 8);  // at least data_stream.*, service.name, event.*, @timestamp
  }
}

}  // namespace
}  // namespace auditrelay::test
