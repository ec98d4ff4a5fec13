// Security of a whole run: secrets never leave the config (logs, metrics, status, check output,
// dead-letter and state files), the HTTP input lets nothing in without its token, outputs refuse
// a receiver whose certificate they cannot verify, and state files are private.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/fakes/fake_splunk_hec_handle.h"
#include "tests/fakes/fake_webhook_handle.h"
#include "tests/integration/agent_process.h"
#include "tests/support/process.h"
#include "tests/support/self_signed_certificate.h"

using namespace auditrelay::test;
using auditrelay::fakes::CurlClient;
using auditrelay::fakes::FakeElasticsearch;
using auditrelay::fakes::FakeSplunkHec;
using auditrelay::fakes::FakeWebhook;
using std::chrono::seconds;

namespace {

// Every secret of the config below, as written and in the encoded forms sent on the wire.
constexpr const char* kInputToken = "in-token-S3CRET-1";
constexpr const char* kApiKey = "ingest:api-key-S3CRET-2";
constexpr const char* kUrlPassword = "url-pass-S3CRET-3";
constexpr const char* kHecToken = "hec-token-S3CRET-4";
constexpr const char* kWebhookSecret = "whsec_d2ViaG9vay1TM0NSRVQta2V5LTI0Ynl0";
const std::vector<std::string> kSecrets = {
    "S3CRET",                                // the part every secret above shares
    "aW5nZXN0OmFwaS1rZXktUzNDUkVULTI=",      // base64 of kApiKey (the ApiKey header)
    "ZWxhc3RpYzp1cmwtcGFzcy1TM0NSRVQtMw==",  // base64 of elastic:kUrlPassword (Basic auth)
    "d2ViaG9vay1TM0NSRVQta2V5LTI0Ynl0",      // the webhook key, base64
};

std::vector<std::string> leaks(const std::string& where, const std::string& text) {
  std::vector<std::string> found;
  for (const std::string& secret : kSecrets) {
    if (text.find(secret) != std::string::npos) found.push_back(where + " shows " + secret);
  }
  return found;
}

std::string body_lines(int from, int n, const char* decision) {
  std::string body;
  for (int i = from; i < from + n; ++i) {
    body += R"({"policy_id":"p","decision":")" + std::string(decision) +
            R"(","created_at":"2026-01-16T18:22:11Z","reason_code":"seq-)" + std::to_string(i) +
            "\"}\n";
  }
  return body;
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("secrets never appear in logs, metrics, status, check output or state files") {
  TempDir dir;
  // The API key is right, so documents flow and one is dead-lettered (a mapping error); the
  // password in the second URL, the HEC token and the webhook secret are wrong, so their
  // failures are logged, retried or dead-lettered: each a place a secret could slip into.
  FakeElasticsearch es(dir.path(), {"--api-key", "aW5nZXN0OmFwaS1rZXktUzNDUkVULTI="});
  FakeElasticsearch es_basic(dir.path(), {"--user", "elastic", "--password", "other"});
  FakeSplunkHec hec(dir.path(), {"--token", "another-token"});
  FakeWebhook hook(dir.path(), {"--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  const std::string basic_url = "http://elastic:" + std::string(kUrlPassword) +
                                "@127.0.0.1:" + std::to_string(es_basic.port());
  write_file(dir / "agent.yaml",
             "service:\n"
             "  log_level: debug\n"
             "  storage: {path: state}\n"
             "  http_server: {listen: \"127.0.0.1:0\"}\n"
             "pipeline:\n"
             "  normalize: {namespace: test}\n"
             "  inputs:\n"
             "    - name: api\n"
             "      type: http\n"
             "      listen: 127.0.0.1:0\n"
             "      schema: policy_gateway\n"
             "      token: \"" +
                 std::string(kInputToken) +
                 "\"\n"
                 "  outputs:\n"
                 "    - name: es\n"
                 "      type: elasticsearch\n"
                 "      hosts: [\"" +
                 es.url() + "\"]\n      api_key: \"" + kApiKey +
                 "\"\n"
                 "      batch: {flush_interval: 20ms}\n"
                 "    - name: es_basic\n"
                 "      type: elasticsearch\n"
                 "      hosts: [\"" +
                 basic_url +
                 "\"]\n"
                 "      retry: {initial: 20ms, max: 200ms}\n"
                 "    - name: splunk\n"
                 "      type: splunk_hec\n"
                 "      url: \"" +
                 hec.url() + "\"\n      token: \"" + kHecToken +
                 "\"\n"
                 "      retry: {initial: 20ms, max: 200ms}\n"
                 "    - name: soar\n"
                 "      type: webhook\n"
                 "      url: \"" +
                 hook.url() + "/\"\n      secret: \"" + kWebhookSecret +
                 "\"\n"
                 "      events: [governance.request.blocked]\n"
                 "      retry: {initial: 20ms, max: 200ms}\n");

  std::vector<std::string> found;
  Result check = run_agent({"check", "-c", (dir / "agent.yaml").string()}, dir.path());
  CHECK(check.exit_code == 0);
  Result connect =
      run_agent({"check", "--connect", "-c", (dir / "agent.yaml").string()}, dir.path());
  CHECK(connect.exit_code == 1);  // three outputs refuse their credentials
  for (const Result* r : {&check, &connect}) {
    for (auto& leak : leaks("check", r->out + r->err))
      found.push_back(leak);
  }

  const mode_t old_umask = ::umask(022);  // the usual umask: the agent must not rely on one
  auto agent = start_agent(dir);
  ::umask(old_umask);
  const int input_port = http_input_port(dir / "agent0.stderr", "api");
  const int monitoring_port_number = monitoring_port(dir / "agent0.stderr");
  REQUIRE(input_port != 0);
  REQUIRE(monitoring_port_number != 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(input_port) + "/v1/audit";
  const std::string monitoring = "http://127.0.0.1:" + std::to_string(monitoring_port_number);

  CurlClient client;
  const std::string ndjson = "Content-Type: application/x-ndjson";
  // Without the token, or with a wrong one (even one that only misses a character): 401.
  auto no_token = client.post(url, body_lines(1000, 5, "block"), {ndjson});
  auto wrong_token = client.post(url, body_lines(2000, 5, "block"),
                                 {ndjson, "Authorization: Bearer in-token-S3CRET-"});
  CHECK(no_token.status == 401);
  CHECK(wrong_token.status == 401);
  const std::string bearer = "Authorization: Bearer " + std::string(kInputToken);
  CHECK(client.post(url, body_lines(0, 20, "block"), {ndjson, bearer}).status == 200);
  CHECK(client.post(url, "{not json\n", {ndjson, bearer}).status == 400);  // dead-lettered
  CHECK(wait_until([&] { return es.indexed() == 20; }, seconds(60)));
  CHECK(
      wait_until([&] { return hook.stats()["invalid_signatures"].GetUint64() >= 1; }, seconds(60)));
  CHECK(wait_until(
      [&] {
        return std::filesystem::exists(dir / "state" / "outputs" / "soar" / "dead_letter.ndjson");
      },
      seconds(60)));

  for (const char* path : {"/api/v1/metrics/prometheus", "/api/v1/status", "/api/v1/health"}) {
    auto answer = client.get(monitoring + path);
    CHECK(answer.status != 0);
    for (auto& leak : leaks(path, answer.body))
      found.push_back(leak);
  }
  for (const auto* answer : {&no_token, &wrong_token}) {
    for (auto& leak : leaks("a 401 answer", answer->body))
      found.push_back(leak);
  }
  Result status = run_agent({"status", "--url", monitoring, "--interval", "0"}, dir.path());
  Result buffer = run_agent({"buffer", "status", "-c", (dir / "agent.yaml").string()}, dir.path());
  CHECK(status.out.find("soar") != std::string::npos);
  for (const Result* r : {&status, &buffer}) {
    for (auto& leak : leaks("auditrelay status", r->out + r->err))
      found.push_back(leak);
  }
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);

  CHECK(es.indexed() == 20);  // nothing posted without the token went anywhere

  for (const char* log : {"agent0.stdout", "agent0.stderr"}) {
    for (auto& leak : leaks(log, read_file(dir / log)))
      found.push_back(leak);
  }
  // Every file the agent wrote: dead letters, cursors, offsets, the HEC channel, buffer segments.
  // Files 0600 and directories 0700, though the umask allowed more.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "state")) {
    const std::string name = entry.path().string();
    if (entry.is_directory()) {
      CHECK_MESSAGE(mode_of(entry.path()) == 0700, name);
    } else {
      CHECK_MESSAGE(mode_of(entry.path()) == 0600, name);
      for (auto& leak : leaks(name, read_file(entry.path())))
        found.push_back(leak);
    }
  }
  CHECK(mode_of(dir / "state") == 0700);
  CHECK(read_file(dir / "state" / "outputs" / "soar" / "dead_letter.ndjson").find("http_401") !=
        std::string::npos);
  CHECK(read_file(dir / "agent0.stderr").find("401") != std::string::npos);  // it was refused
  for (const std::string& leak : found)
    FAIL_CHECK(leak);
}

TEST_CASE("outputs refuse a receiver with a self-signed certificate unless ca_file trusts it") {
  TempDir dir;
  CertificateFiles cert = write_self_signed_certificate(dir.path());
  FakeElasticsearch es(
      dir.path(), {"--tls-cert", cert.cert_file.string(), "--tls-key", cert.key_file.string()});
  FakeSplunkHec hec(dir.path(), {"--token", "t", "--tls-cert", cert.cert_file.string(), "--tls-key",
                                 cert.key_file.string()});
  REQUIRE(es.url().rfind("https://", 0) == 0);
  std::filesystem::create_directories(dir / "in");
  write_file(dir / "in" / "audit.jsonl", body_lines(0, 50, "allow"));
  auto write_config = [&](const std::string& tls) {
    write_file(dir / "agent.yaml",
               "service:\n"
               "  log_level: debug\n"
               "  storage: {path: state}\n"
               "pipeline:\n"
               "  inputs:\n"
               "    - type: tail\n"
               "      paths: [\"in/*.jsonl\"]\n"
               "      read_from_head: true\n"
               "      schema: policy_gateway\n"
               "  outputs:\n"
               "    - name: es\n"
               "      type: elasticsearch\n"
               "      hosts: [\"" +
                   es.url() + "\"]\n" + tls +
                   "      retry: {initial: 20ms, max: 200ms}\n"
                   "    - name: splunk\n"
                   "      type: splunk_hec\n"
                   "      url: \"" +
                   hec.url() + "\"\n      token: t\n" + tls +
                   "      retry: {initial: 20ms, max: 200ms}\n");
  };

  write_config("");
  Result connect =
      run_agent({"check", "--connect", "-c", (dir / "agent.yaml").string()}, dir.path());
  INFO(connect.out, connect.err);
  CHECK(connect.exit_code == 1);
  CHECK(connect.out.find("certificate") != std::string::npos);
  auto agent = start_agent(dir);
  // Both outputs fail on the certificate, and keep the records for later.
  CHECK(wait_until(
      [&] {
        std::string log = read_file(dir / "agent0.stderr");
        return log.find("output[es]") != std::string::npos &&
               log.find("certificate") != std::string::npos &&
               log.find("output[splunk]") != std::string::npos;
      },
      seconds(30)));
  CHECK(stop_agent(*agent, dir / "agent0.stderr") == 0);
  CHECK(es.indexed() == 0);
  CHECK(hec.indexed() == 0);

  write_config("      tls: {ca_file: \"" + cert.cert_file.string() + "\"}\n");
  Result trusted = run_agent({"run", "-c", (dir / "agent.yaml").string(), "--once"}, dir.path());
  INFO(trusted.err);
  CHECK(trusted.exit_code == 0);
  CHECK(es.indexed() == 50);
  CHECK(hec.indexed() == 50);
}
