// The elasticsearch output's credentials and extra headers end to end: the real binary
// delivers to the fake Elasticsearch started with --bearer or --user/--password (which answers
// anything else 401 with WWW-Authenticate and a security_exception, as Elasticsearch does), and
// the fake shows the headers of the last bulk request it received.
#include <doctest/doctest.h>
#include <strings.h>

#include <chrono>
#include <optional>
#include <string>

#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;
using auditrelay::fakes::FakeElasticsearch;
using std::chrono::seconds;

namespace {

// The output block with `credentials` (YAML lines, indented 6).
void write_config(const TempDir& dir, const FakeElasticsearch& es, const std::string& credentials) {
  TailToFile c;
  c.output_yaml =
      "    - name: es\n"
      "      type: elasticsearch\n"
      "      hosts: [\"" +
      es.url() +
      "\"]\n"
      "      batch: {max_records: 500, flush_interval: 50ms}\n"
      "      retry: {initial: 10ms, max: 50ms}\n" +
      credentials;
  write_tail_to_file_config(dir, c);
}

// The value of header `name` (any case) in the fake's last bulk request.
std::optional<std::string> last_bulk_header(FakeElasticsearch& es, const std::string& name) {
  for (const auto& [key, value] : es.last_bulk_headers()) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return std::nullopt;
}

uint64_t requests_answered(FakeElasticsearch& es, const char* status) {
  auto stats = es.stats();
  const auto& by_status = stats["requests_by_status"];
  return by_status.HasMember(status) ? by_status[status].GetUint64() : 0;
}

// Runs the agent until `n` records are indexed, then stops it cleanly.
void deliver(const TempDir& dir, FakeElasticsearch& es, int n, int run = 0) {
  auto agent = start_agent(dir, run);
  const auto stderr_file = dir / ("agent" + std::to_string(run) + ".stderr");
  REQUIRE_MESSAGE(wait_until([&] { return es.indexed() >= static_cast<uint64_t>(n); }, seconds(30)),
                  read_file(stderr_file));
  CHECK(stop_agent(*agent, stderr_file) == 0);
  CHECK(es.indexed() == static_cast<uint64_t>(n));
}

}  // namespace

TEST_CASE("elasticsearch auth: a bearer token; a wrong one is refused and the records wait") {
  TempDir dir;
  FakeElasticsearch es(dir.path(), {"--bearer", "service-token-1"});
  write_config(dir, es, "      bearer: service-token-0\n");
  write_gateway_records(dir / "in" / "audit.jsonl", 50);
  auto agent = start_agent(dir);
  REQUIRE(wait_until([&] { return requests_answered(es, "401") >= 2; }));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  CHECK(es.indexed() == 0);
  const std::string log = read_file(dir / "agent0.stderr");
  CHECK(log.find("refused the credentials") != std::string::npos);
  CHECK(log.find("service-token-0") == std::string::npos);

  write_config(dir, es, "      bearer: service-token-1\n");
  deliver(dir, es, 50, 1);
  CHECK(last_bulk_header(es, "Authorization") == "Bearer service-token-1");
  CHECK(read_file(dir / "agent1.stderr").find("service-token-1") == std::string::npos);
}

TEST_CASE("elasticsearch auth: user and password (basic) deliver every record") {
  TempDir dir;
  FakeElasticsearch es(dir.path(), {"--user", "ingest", "--password", "pa:ss word"});
  write_config(dir, es, "      user: ingest\n      password: \"pa:ss word\"\n");
  write_gateway_records(dir / "in" / "audit.jsonl", 50);
  deliver(dir, es, 50);
  // base64("ingest:pa:ss word"): the password is everything after the first colon.
  CHECK(last_bulk_header(es, "Authorization") == "Basic aW5nZXN0OnBhOnNzIHdvcmQ=");
  CHECK(requests_answered(es, "401") == 0);
  CHECK(read_file(dir / "agent0.stderr").find("pa:ss word") == std::string::npos);
}

TEST_CASE("elasticsearch auth: custom headers go with every bulk request, beside the API key") {
  TempDir dir;
  // base64("ingest:right-key")
  FakeElasticsearch es(dir.path(), {"--api-key", "aW5nZXN0OnJpZ2h0LWtleQ=="});
  write_config(dir, es,
               "      api_key: \"ingest:right-key\"\n"
               "      headers: [\"X-Opaque-Id: auditrelay-e2e\", \"X-Tenant: blue team\"]\n");
  write_gateway_records(dir / "in" / "audit.jsonl", 50);
  deliver(dir, es, 50);
  CHECK(last_bulk_header(es, "X-Opaque-Id") == "auditrelay-e2e");
  CHECK(last_bulk_header(es, "X-Tenant") == "blue team");
  CHECK(last_bulk_header(es, "Authorization") == "ApiKey aW5nZXN0OnJpZ2h0LWtleQ==");
  CHECK(last_bulk_header(es, "Content-Type") == "application/x-ndjson");
  CHECK(requests_answered(es, "401") == 0);
}
