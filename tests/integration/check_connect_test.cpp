// `auditrelay check --connect`: each output's endpoint and credentials tried against the fake
// receivers (tests/fakes), one line per output, secrets never printed.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/fakes/fake_splunk_hec_handle.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/process.h"

using namespace auditrelay::test;
using auditrelay::fakes::FakeElasticsearch;
using auditrelay::fakes::FakeSplunkHec;
using std::chrono::seconds;

namespace {

constexpr const char* kHecToken = "5c9a1b1e-0000-4000-8000-00000000hec1";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Writes a pipeline with these outputs (YAML list items, indented 4) and runs check --connect.
Result check_connect(const TempDir& dir, const std::string& outputs_yaml) {
  TailToFile c;
  c.output_yaml = outputs_yaml;
  write_tail_to_file_config(dir, c);
  return run_agent({"check", "--connect", "-c", (dir / "agent.yaml").string()}, dir.path());
}

std::string es_output(const std::string& url, const std::string& api_key) {
  return "    - name: es\n"
         "      type: elasticsearch\n"
         "      hosts: [\"" +
         url +
         "\"]\n"
         "      api_key: \"" +
         api_key + "\"\n";
}

std::string hec_output(const std::string& url, const std::string& token) {
  return "    - name: splunk\n"
         "      type: splunk_hec\n"
         "      url: \"" +
         url +
         "\"\n"
         "      token: \"" +
         token + "\"\n";
}

// A port nothing listens on: bound, then closed again.
int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("check --connect: elasticsearch with the right API key") {
  TempDir dir;
  // base64("ingest:right-key")
  FakeElasticsearch es(dir.path(), {"--api-key", "aW5nZXN0OnJpZ2h0LWtleQ=="});
  auto r = check_connect(dir, es_output(es.url(), "ingest:right-key"));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "output[es] elasticsearch " + es.url() + ": ok"));
  CHECK(contains(r.out, "Elasticsearch 8.15.0"));
  CHECK(contains(r.out, "cluster \"fake-elasticsearch\""));
  CHECK(contains(r.out, "credentials accepted"));
  CHECK(es.indexed() == 0);
}

TEST_CASE("check --connect: elasticsearch refuses a wrong API key, which is never printed") {
  TempDir dir;
  FakeElasticsearch es(dir.path(), {"--api-key", "aW5nZXN0OnJpZ2h0LWtleQ=="});
  auto r = check_connect(dir, es_output(es.url(), "ingest:wrong-key-s3cr3t"));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "output[es] elasticsearch " + es.url() + ": FAILED"));
  CHECK(contains(r.out, "credentials"));
  for (const std::string& secret :
       {std::string("wrong-key-s3cr3t"), std::string("aW5nZXN0Ondyb25nLWtleS1zM2NyM3Q=")}) {
    CHECK_FALSE(contains(r.out, secret));
    CHECK_FALSE(contains(r.err, secret));
  }
}

TEST_CASE("check --connect: splunk_hec healthy, token accepted, nothing indexed") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kHecToken});
  auto r = check_connect(dir, hec_output(hec.url(), kHecToken));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "output[splunk] splunk_hec " + hec.url() + ": ok"));
  CHECK(contains(r.out, "HEC is healthy"));
  CHECK(contains(r.out, "token accepted"));
  CHECK_FALSE(contains(r.out, kHecToken));
  CHECK(hec.indexed() == 0);
}

TEST_CASE("check --connect: splunk_hec refuses a bad token, which is never printed") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kHecToken});
  const std::string bad = "bad-token-s3cr3t-value";
  auto r = check_connect(dir, hec_output(hec.url(), bad));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "output[splunk] splunk_hec " + hec.url() + ": FAILED"));
  CHECK(contains(r.out, "Splunk refused the HEC token (code 4: Invalid token)"));
  CHECK(contains(r.out, "check this output's token"));
  CHECK_FALSE(contains(r.out, bad));
  CHECK_FALSE(contains(r.err, bad));
}

TEST_CASE("check --connect: splunk_hec unhealthy") {
  TempDir dir;
  FakeSplunkHec hec(dir.path(), {"--token", kHecToken});
  hec.set_faults(R"({"health_code":18})");
  auto r = check_connect(dir, hec_output(hec.url(), kHecToken));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "output[splunk] splunk_hec " + hec.url() + ": FAILED"));
  CHECK(contains(r.out, "code 18"));
}

TEST_CASE("check --connect: splunk_hec indexer acknowledgement, on both sides or not") {
  TempDir dir;
  // Each fake in its own directory: they name their port and log files alike.
  std::filesystem::create_directories(dir / "with_ack");
  std::filesystem::create_directories(dir / "without_ack");
  FakeSplunkHec with_ack(dir / "with_ack", {"--token", kHecToken, "--ack"});
  FakeSplunkHec without_ack(dir / "without_ack", {"--token", kHecToken});
  auto named = [](const std::string& name, const std::string& yaml) {
    return "    - name: " + name + yaml.substr(yaml.find('\n'));
  };
  auto r = check_connect(dir, named("both", hec_output(with_ack.url(), kHecToken)) +
                                  "      ack: true\n" +
                                  named("token_only", hec_output(with_ack.url(), kHecToken)) +
                                  named("output_only", hec_output(without_ack.url(), kHecToken)) +
                                  "      ack: true\n");
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "output[both] splunk_hec " + with_ack.url() +
                            ": ok \u2014 HEC is healthy; token accepted; indexer acknowledgement "
                            "enabled"));
  CHECK(contains(r.out, "output[token_only] splunk_hec " + with_ack.url() + ": FAILED"));
  CHECK(contains(r.out, "(code 10: Data channel is missing)"));
  CHECK(contains(r.out, "output[output_only] splunk_hec " + without_ack.url() + ": FAILED"));
  CHECK(contains(r.out, "(code 14: ACK is disabled)"));
  CHECK(with_ack.indexed() == 0);
}

TEST_CASE("check --connect: nothing listening fails within the connect timeout") {
  TempDir dir;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
  auto started = std::chrono::steady_clock::now();
  auto r = check_connect(dir, es_output(url, "ingest:some-key") + "      connect_timeout: 2s\n" +
                                  hec_output(url, kHecToken) + "      connect_timeout: 2s\n");
  auto took = std::chrono::steady_clock::now() - started;
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "output[es] elasticsearch " + url + ": FAILED"));
  CHECK(contains(r.out, "output[splunk] splunk_hec " + url + ": FAILED"));
  CHECK(took < seconds(10));  // two connect timeouts at most, plus start-up
}

TEST_CASE("check --connect: a file output has nothing to connect to") {
  TempDir dir;
  auto r = check_connect(dir, "");  // the default file output
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "output[file] file: nothing to connect to"));
  CHECK_FALSE(std::filesystem::exists(dir / "state"));  // check creates nothing
}
