// `auditrelay setup` against the fake Elasticsearch: what it installs, that a second run
// changes nothing, and how it reports credentials and hosts that do not work.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay::test;
using auditrelay::fakes::CurlClient;
using auditrelay::fakes::FakeElasticsearch;

namespace {

constexpr const char* kTemplate = "auditrelay-logs-gw.audit";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A tail → elasticsearch config; `output` holds the output's YAML lines after its type
// (indented 6).
std::filesystem::path write_config(const TempDir& dir, const std::string& output) {
  std::filesystem::create_directories(dir / "in");
  write_file(dir / "agent.yaml",
             "service:\n"
             "  storage: {path: state}\n"
             "pipeline:\n"
             "  normalize: {dataset: gw.audit, namespace: test}\n"
             "  inputs:\n"
             "    - type: tail\n"
             "      paths: [\"in/*.jsonl\"]\n"
             "  outputs:\n"
             "    - name: es\n"
             "      type: elasticsearch\n" +
                 output);
  return dir / "agent.yaml";
}

std::string hosts(const std::vector<std::string>& urls) {
  std::string line = "      hosts: [";
  for (size_t i = 0; i < urls.size(); ++i)
    line += (i ? ", " : "") + urls[i];
  return line + "]\n";
}

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

// The raw GET /_index_template/<name> answer, and its one template.
std::string template_answer(CurlClient& client, const FakeElasticsearch& es) {
  auto r = client.get(es.url() + "/_index_template/" + kTemplate);
  REQUIRE(r.status == 200);
  return r.body;
}

std::vector<std::string> strings(const rapidjson::Value& array) {
  std::vector<std::string> out;
  for (const auto& v : array.GetArray())
    out.emplace_back(v.GetString());
  return out;
}

// A port on which nothing listens for as long as this lives: bound, never listening, so a
// connection is refused at once, and no other test can take the port meanwhile.
class RefusingPort {
 public:
  RefusingPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), size) == 0);
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
};

}  // namespace

TEST_CASE("setup creates the template and ILM policy, then finds them up to date") {
  TempDir dir;
  std::filesystem::create_directories(dir / "es");
  FakeElasticsearch es(dir / "es");
  auto config = write_config(dir, hosts({es.url()}));
  std::vector<std::string> args{"setup", "-c", config.string(), "--ilm-policy", "audit-365d"};

  auto first = run_agent(args, dir.path());
  INFO("stdout: " << first.out << "\nstderr: " << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(contains(first.out, "es: using " + es.url()));
  CHECK(contains(first.out, "created ILM policy audit-365d"));
  CHECK(contains(first.out,
                 std::string("created index template ") + kTemplate + " for logs-gw.audit-*"));

  CurlClient client;
  std::string installed = template_answer(client, es);
  auto answer = json(installed);
  REQUIRE(answer["index_templates"].Size() == 1);
  const auto& t = answer["index_templates"][0]["index_template"];
  CHECK(t["priority"].GetInt() == 200);
  CHECK(strings(t["index_patterns"]) == std::vector<std::string>{"logs-gw.audit-*"});
  CHECK(t["data_stream"].IsObject());
  CHECK(strings(t["composed_of"]) == std::vector<std::string>{"logs@settings", "ecs@mappings"});
  const auto& properties = t["template"]["mappings"]["properties"];
  const auto& policy = properties["policy"]["properties"];
  // Every policy.* field of MAPPING.md, both schemas.
  for (const char* field : {"policy_id",
                            "decision",
                            "effective_decision",
                            "reason_code",
                            "policy_user",
                            "project_id",
                            "policy_target",
                            "rollout_mode",
                            "enforced",
                            "triggered_categories",
                            "allowlist_hits",
                            "denylist_hits",
                            "model",
                            "created_at",
                            "data_classification",
                            "policy_name",
                            "policy_slot",
                            "enforcement",
                            "violation_reasons",
                            "provider",
                            "request_id",
                            "org_id",
                            "api_key_id",
                            "unmapped"}) {
    INFO(field);
    CHECK((policy.HasMember(field) && policy[field].HasMember("type")));
  }
  CHECK(std::string(policy["unmapped"]["type"].GetString()) == "flattened");
  CHECK(std::string(policy["enforced"]["type"].GetString()) == "boolean");
  CHECK(std::string(policy["policy_slot"]["type"].GetString()) == "long");
  CHECK(std::string(policy["created_at"]["type"].GetString()) == "date");
  CHECK(std::string(policy["violation_reasons"]["type"].GetString()) == "text");
  CHECK(std::string(properties["@timestamp"]["type"].GetString()) == "date");
  CHECK(std::string(properties["data_stream"]["properties"]["dataset"]["type"].GetString()) ==
        "constant_keyword");
  CHECK(std::string(t["template"]["settings"]["index"]["lifecycle"]["name"].GetString()) ==
        "audit-365d");
  CHECK(std::string(t["_meta"]["managed_by"].GetString()) == "auditrelay");
  CHECK(std::string(t["_meta"]["version"].GetString()) == AUDITRELAY_VERSION);

  auto policy_answer = client.get(es.url() + "/_ilm/policy/audit-365d");
  REQUIRE(policy_answer.status == 200);
  auto ilm = json(policy_answer.body);
  CHECK(ilm["audit-365d"]["version"].GetInt() == 1);
  const auto& phases = ilm["audit-365d"]["policy"]["phases"];
  CHECK(std::string(phases["hot"]["actions"]["rollover"]["max_primary_shard_size"].GetString()) ==
        "50gb");
  CHECK(std::string(phases["delete"]["min_age"].GetString()) == "365d");

  auto second = run_agent(args, dir.path());
  INFO("stdout: " << second.out << "\nstderr: " << second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(contains(second.out, "found ILM policy audit-365d (left as is)"));
  CHECK(contains(second.out, std::string("found index template ") + kTemplate + " (up to date)"));
  CHECK_FALSE(contains(second.out, "created"));
  CHECK_FALSE(contains(second.out, "updated"));
  CHECK(template_answer(client, es) == installed);
  auto policy_again = json(client.get(es.url() + "/_ilm/policy/audit-365d").body);
  CHECK(policy_again["audit-365d"]["version"].GetInt() == 1);  // not written again
}

TEST_CASE("setup updates a template that differs from what it would install") {
  TempDir dir;
  std::filesystem::create_directories(dir / "es");
  FakeElasticsearch es(dir / "es");
  auto config = write_config(dir, hosts({es.url()}));
  REQUIRE(run_agent({"setup", "-c", config.string()}, dir.path()).exit_code == 0);

  // Someone else's (or an older version's) template under our name.
  CurlClient client;
  auto put = client.request("PUT", es.url() + "/_index_template/" + kTemplate,
                            R"({"index_patterns":["logs-gw.audit-*"],"data_stream":{},)"
                            R"("priority":150,"_meta":{"managed_by":"auditrelay"}})",
                            {"Content-Type: application/json"});
  REQUIRE(put.status == 200);

  auto r = run_agent({"setup", "-c", config.string()}, dir.path());
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, std::string("updated index template ") + kTemplate));
  auto answer = json(template_answer(client, es));
  const auto& t = answer["index_templates"][0]["index_template"];
  CHECK(t["priority"].GetInt() == 200);
  // Without --ilm-policy the template leaves the lifecycle to logs@settings.
  CHECK_FALSE(t["template"]["settings"].HasMember("index"));

  auto again = run_agent({"setup", "-c", config.string()}, dir.path());
  CHECK(contains(again.out, "(up to date)"));
}

TEST_CASE("setup composes the template of no components when the cluster has none") {
  TempDir dir;
  std::filesystem::create_directories(dir / "es");
  FakeElasticsearch es(dir / "es", {"--no-builtin-components"});
  auto config = write_config(dir, hosts({es.url()}));
  auto r = run_agent({"setup", "-c", config.string()}, dir.path());
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "component template logs@settings not found"));
  CHECK(contains(r.out, "component template ecs@mappings not found"));
  CurlClient client;
  auto answer = json(template_answer(client, es));
  const auto& t = answer["index_templates"][0]["index_template"];
  CHECK(t["composed_of"].IsArray());
  CHECK(t["composed_of"].Empty());
}

TEST_CASE("setup with the output's credentials: right ones work, wrong ones exit 1 unechoed") {
  TempDir dir;
  std::filesystem::create_directories(dir / "es");
  const std::string key = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
  FakeElasticsearch es(dir / "es", {"--api-key", key});

  auto good = write_config(dir, hosts({es.url()}) + "      api_key: " + key + "\n");
  auto ok = run_agent({"setup", "-c", good.string()}, dir.path());
  INFO("stdout: " << ok.out << "\nstderr: " << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.out, "created index template"));

  const std::string wrong = "d3JvbmctaWQ6d3Jvbmcta2V5LXNlY3JldA==";
  auto bad = write_config(dir, hosts({es.url()}) + "      api_key: " + wrong + "\n");
  auto r = run_agent({"setup", "-c", bad.string()}, dir.path());
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "output 'es'"));
  CHECK(contains(r.err, es.url()));
  CHECK(contains(r.err, "401"));
  CHECK(contains(r.err, "api_key"));
  CHECK_FALSE(contains(r.out + r.err, wrong));
  CHECK_FALSE(contains(r.out + r.err, key));
}

TEST_CASE("setup with a wrong password does not print it, nor its Basic encoding") {
  TempDir dir;
  std::filesystem::create_directories(dir / "es");
  FakeElasticsearch es(dir / "es", {"--user", "shipper", "--password", "right-password"});
  const std::string wrong = "hunter2-wrong-password";
  auto config =
      write_config(dir, hosts({es.url()}) + "      user: shipper\n      password: " + wrong + "\n");
  auto r = run_agent({"setup", "-c", config.string()}, dir.path());
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "refused the credentials"));
  CHECK_FALSE(contains(r.out + r.err, wrong));
  CHECK_FALSE(contains(r.out + r.err, "c2hpcHBlcjpodW50ZXIyLXdyb25nLXBhc3N3b3Jk"));  // Basic
}

TEST_CASE("setup uses the first host that answers, and says so when none does") {
  TempDir dir;
  std::filesystem::create_directories(dir / "es");
  FakeElasticsearch es(dir / "es");
  RefusingPort refusing;

  auto failover = write_config(dir, hosts({refusing.url(), es.url()}));
  auto ok = run_agent({"setup", "-c", failover.string()}, dir.path());
  INFO("stdout: " << ok.out << "\nstderr: " << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.out, "es: using " + es.url()));
  CHECK(contains(ok.out, "created index template"));

  auto dead = write_config(dir, hosts({refusing.url()}));
  auto r = run_agent({"setup", "-c", dead.string()}, dir.path());
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "auditrelay: setup: output 'es': no host answered"));
  CHECK(contains(r.err, refusing.url()));
}

TEST_CASE("setup refuses what it cannot set up, exit 1") {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");

  // A bad config is reported as `check` reports it.
  write_file(dir / "bad.yaml",
             "pipeline:\n"
             "  inputs: [{type: tail, paths: [x.jsonl]}]\n"
             "  outputs: [{type: elasticsearch, hosts: [ftp://x]}]\n");
  auto bad = run_agent({"setup", "-c", (dir / "bad.yaml").string()}, dir.path());
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.err, "auditrelay: invalid configuration"));
  CHECK(contains(bad.err, "pipeline.outputs[0].hosts"));

  write_file(dir / "stdout.yaml",
             "service: {storage: {path: state}}\n"
             "pipeline:\n"
             "  inputs: [{type: tail, paths: [in/x.jsonl]}]\n"
             "  outputs: [{type: stdout}]\n");
  auto none = run_agent({"setup", "-c", (dir / "stdout.yaml").string()}, dir.path());
  CHECK(none.exit_code == 1);
  CHECK(contains(none.err, "no elasticsearch output"));

  // Classic indices are not set up: the output is skipped, and then nothing is left to do.
  auto classic = write_config(dir, hosts({"http://127.0.0.1:9"}) + "      index: audit\n");
  auto skipped = run_agent({"setup", "-c", classic.string()}, dir.path());
  CHECK(skipped.exit_code == 1);
  CHECK(contains(skipped.out, "es: skipped"));
  CHECK(contains(skipped.out, "data stream templates only"));

  auto policy = write_config(dir, hosts({"http://127.0.0.1:9"}));
  auto usage = run_agent({"setup", "-c", policy.string(), "--ilm-policy", "bad name"}, dir.path());
  CHECK(usage.exit_code == 2);

  auto help = run_agent({"setup", "--help"}, dir.path());
  CHECK(help.exit_code == 0);
  CHECK(contains(help.out, "--ilm-policy"));
  CHECK(contains(help.out, "data stream templates only"));
}
