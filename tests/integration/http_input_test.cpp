// http input → normalize → file with the real binary: formats, encodings, auth, limits,
// all-or-nothing answers, stable ids, a full buffer, many clients at once, and TLS.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/fakes/raw_client.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/pipeline_config.h"
#include "tests/support/https_client.h"
#include "tests/support/self_signed_certificate.h"

using namespace auditrelay::test;
using auditrelay::fakes::CurlClient;
using auditrelay::fakes::FakeElasticsearch;
using auditrelay::fakes::HttpResult;
using auditrelay::fakes::RawClient;
using auditrelay::fakes::RawResponse;
using auditrelay::test::CertificateFiles;
using auditrelay::test::HttpsClient;
using auditrelay::test::write_self_signed_certificate;

namespace {

struct HttpAgent {
  std::string storage = "{path: state}";
  std::string extra_service = "";  // more YAML lines for service: (indented 2)
  std::string input_extra = "";    // more YAML lines for the input (indented 6)
  std::string output_yaml = "    - type: file\n      path: out.ndjson\n";
};

void write_http_config(const TempDir& dir, const HttpAgent& c) {
  write_file(dir / "agent.yaml",
             "service:\n"
             "  log_level: debug\n"
             "  shutdown_timeout: 20s\n"
             "  storage: " +
                 c.storage + "\n" + c.extra_service +
                 "pipeline:\n"
                 "  normalize: {namespace: test}\n"
                 "  inputs:\n"
                 "    - name: api\n"
                 "      type: http\n"
                 "      listen: 127.0.0.1:0\n"
                 "      schema: policy_gateway\n" +
                 c.input_extra + "  outputs:\n" + c.output_yaml);
}

struct Running {
  TempDir dir;
  std::unique_ptr<Process> agent;
  int port = 0;
  std::string url;
  explicit Running(const HttpAgent& c = {}, const std::string& scheme = "http") {
    write_http_config(dir, c);
    agent = start_agent(dir);
    port = http_input_port(dir / "agent0.stderr", "api");
    REQUIRE(port != 0);
    url = scheme + "://127.0.0.1:" + std::to_string(port) + "/v1/audit";
  }
  ~Running() {
    if (agent) stop_agent(*agent, dir / "agent0.stderr");
  }
  // event.id → reason_code of the documents in out.ndjson.
  std::multimap<std::string, std::string> delivered() {
    std::multimap<std::string, std::string> out;
    for (const auto& line : read_lines(dir / "out.ndjson")) {
      rapidjson::Document doc;
      doc.Parse(line.c_str());
      if (doc.HasParseError()) continue;  // being written
      out.emplace(doc["event"]["id"].GetString(), doc["policy"]["reason_code"].GetString());
    }
    return out;
  }
  // A deadline for a machine under load, not a speed requirement.
  bool delivered_count(size_t n) {
    return wait_until([&] { return read_lines(dir / "out.ndjson").size() >= n; },
                      std::chrono::seconds(120));
  }
};

rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string ndjson(int from, int n) {
  std::string out;
  for (int i = from; i < from + n; ++i)
    out += gateway_record(i) + "\n";
  return out;
}

const std::vector<std::string> kNdjson{"Content-Type: application/x-ndjson"};

// One NDJSON POST as it goes on the wire, for a RawClient.
std::string raw_post(const std::string& body) {
  return "POST /v1/audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// POSTs one record on `raw` and returns its answer, which must be a 200.
auditrelay::fakes::RawResponse post_one_record(RawClient& raw) {
  raw.send(raw_post(ndjson(0, 1)));
  auto answers = raw.read(1);
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].status == 200);
  return answers[0];
}
const std::vector<std::string> kJson{"Content-Type: application/json"};

}  // namespace

TEST_CASE("http: NDJSON, an array, one object and gzip are delivered and counted") {
  Running a;
  CurlClient client;
  HttpResult r = client.post(a.url, ndjson(0, 3), kNdjson);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"accepted":3,"rejected":[]})");
  r = client.post(a.url, "[" + gateway_record(3) + ",\n " + gateway_record(4) + "]", kJson);
  CHECK(r.status == 200);
  CHECK(json(r.body)["accepted"].GetInt() == 2);
  r = client.post(a.url, gateway_record(5), kJson);
  CHECK(r.status == 200);
  CHECK(json(r.body)["accepted"].GetInt() == 1);
  r = client.post(a.url, auditrelay::fakes::gzip(ndjson(6, 4)),
                  {"Content-Type: application/x-ndjson", "Content-Encoding: gzip"});
  CHECK(r.status == 200);
  CHECK(json(r.body)["accepted"].GetInt() == 4);
  // No Content-Type: sniffed.
  r = client.post(a.url, ndjson(10, 2), {"Content-Type:"});
  CHECK(r.status == 200);
  REQUIRE(a.delivered_count(12));
  std::set<std::string> codes;
  for (const auto& [id, code] : a.delivered())
    codes.insert(code);
  CHECK(codes.size() == 12);

  CHECK(client.post(a.url, "hello", {"Content-Type: text/plain"}).status == 415);
  // A coding the input cannot undo (brotli), alone or after one it can: 415, naming the ones it
  // can; nothing of it is delivered.
  for (const char* coding : {"br", "gzip, br"}) {
    CAPTURE(coding);
    HttpResult unknown = client.post(
        a.url, ndjson(20, 1),
        {"Content-Type: application/x-ndjson", std::string("Content-Encoding: ") + coding});
    CHECK(unknown.status == 415);
    CHECK(std::string(json(unknown.body)["error"].GetString()).find("gzip") != std::string::npos);
  }
  CHECK(client.post(a.url, ndjson(12, 1), kNdjson).status == 200);
  REQUIRE(a.delivered_count(13));
  std::multiset<std::string> delivered_codes;
  for (const auto& [id, code] : a.delivered())
    delivered_codes.insert(code);
  CHECK(delivered_codes.size() == 13);
  CHECK(delivered_codes.count("seq-20") == 0);
  CHECK(client.get(a.url).status == 405);
  CHECK(client.get(a.url).header("Allow") == "POST");
  CHECK(client.post(a.url + "x", ndjson(0, 1), kNdjson).status == 404);
  HttpResult bad = client.post(a.url, "[{\"a\":1},", kJson);
  CHECK(bad.status == 400);
  CHECK(json(bad.body).HasMember("error"));
}

TEST_CASE("http: valid and invalid records, all invalid, and the same body twice") {
  Running a;
  CurlClient client;
  std::string mixed = gateway_record(0) + "\nnot json\n" + gateway_record(1) + "\n{\"x\":1}\n";
  HttpResult r = client.post(a.url, mixed, kNdjson);
  CHECK(r.status == 200);
  rapidjson::Document doc = json(r.body);
  CHECK(doc["accepted"].GetInt() == 2);
  REQUIRE(doc["rejected"].Size() == 2);
  CHECK(doc["rejected"][0]["index"].GetInt() == 1);
  CHECK(std::string(doc["rejected"][0]["reason"].GetString()).rfind("invalid_json", 0) == 0);
  CHECK(doc["rejected"][1]["index"].GetInt() == 3);
  CHECK(wait_until([&] { return read_lines(a.dir / "state" / "dead_letter.ndjson").size() == 2; },
                   std::chrono::seconds(10)));

  HttpResult all_bad = client.post(a.url, "nope\n{\"x\":1}\n", kNdjson);
  CHECK(all_bad.status == 400);
  CHECK(json(all_bad.body)["accepted"].GetInt() == 0);
  CHECK(json(all_bad.body)["rejected"].Size() == 2);
  CHECK(client.post(a.url, "not json at all", kJson).status == 400);

  // The same body again: the same ids (a downstream with ids keeps one copy).
  REQUIRE(a.delivered_count(2));
  auto first = a.delivered();
  CHECK(client.post(a.url, mixed, kNdjson).status == 200);
  REQUIRE(a.delivered_count(4));
  auto both = a.delivered();
  std::set<std::string> ids;
  for (const auto& [id, code] : both)
    ids.insert(id);
  CHECK(ids.size() == 2);
  for (const auto& [id, code] : first)
    CHECK(both.count(id) == 2);
}

TEST_CASE("http: token, size limits, a gzip bomb, a malformed request, pipelining") {
  TempDir tokens;
  HttpAgent c;
  c.input_extra =
      "      token: s3cret\n      max_body_bytes: 20000\n"
      "      max_decompressed_bytes: 100000\n";
  Running a(c);
  CurlClient client;
  std::vector<std::string> auth{"Content-Type: application/x-ndjson",
                                "Authorization: Bearer s3cret"};
  HttpResult none = client.post(a.url, ndjson(0, 1), kNdjson);
  CHECK(none.status == 401);
  CHECK(none.header("WWW-Authenticate") == "Bearer");
  CHECK(none.body.find("s3cret") == std::string::npos);
  HttpResult wrong =
      client.post(a.url, ndjson(0, 1), {"Authorization: Bearer s3cre", "Content-Type:"});
  CHECK(wrong.status == 401);
  CHECK(client.post(a.url, ndjson(0, 1), auth).status == 200);

  std::string body = ndjson(0, 1000).substr(0, 20000);
  HttpResult at_limit = client.post(a.url, body, auth);
  CHECK(at_limit.status != 413);
  CHECK(client.post(a.url, body + " ", auth).status == 413);

  std::string bomb = auditrelay::fakes::gzip(std::string(10 << 20, ' '));
  REQUIRE(bomb.size() < 20000);
  CHECK(client
            .post(a.url, bomb,
                  {"Authorization: Bearer s3cret", "Content-Encoding: gzip", "Content-Type:"})
            .status == 413);

  {
    RawClient raw(a.port);
    raw.send("BLAH /v1/audit HTTP/1.1 oops\r\n\r\n");
    auto answers = raw.read(1);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].status == 400);
    CHECK(raw.closed_by_peer());
  }
  {
    RawClient raw(a.port);
    std::string pipelined;
    for (int i = 0; i < 3; ++i) {
      std::string b = ndjson(100 + i, i + 1);
      pipelined +=
          "POST /v1/audit HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
          "Content-Type: application/x-ndjson\r\nContent-Length: " +
          std::to_string(b.size()) + "\r\n\r\n" + b;
    }
    pipelined += "GET /v1/audit HTTP/1.1\r\nHost: x\r\n\r\n";
    raw.send(pipelined);
    auto answers = raw.read(4);
    REQUIRE(answers.size() == 4);
    for (int i = 0; i < 3; ++i) {
      CHECK(answers[static_cast<size_t>(i)].status == 200);
      CHECK(json(answers[static_cast<size_t>(i)].body)["accepted"].GetInt() == i + 1);
    }
    CHECK(answers[3].status == 405);
  }
  CHECK(read_file(a.dir / "agent0.stderr").find("s3cret") == std::string::npos);
}

TEST_CASE("http: malformed header lines and framing get 400 and a close; the agent goes on") {
  Running a;
  const std::string record = gateway_record(900) + "\n";
  const std::string length = std::to_string(record.size());
  const std::string head =
      "POST /v1/audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n";
  const std::string chunked = head + "Transfer-Encoding: chunked\r\n\r\n";
  // Each carries a valid record, so that one taken for a request would show in the output.
  const std::vector<std::pair<std::string, std::string>> cases{
      // http_parser takes these two; the server refuses them itself (RFC 9112 §5.1).
      {"whitespace inside a header name",
       head + "X Bad: 1\r\nContent-Length: " + length + "\r\n\r\n" + record},
      {"whitespace before a header's colon",
       head + "Content-Length : " + length + "\r\n\r\n" + record},
      {"a header line without a colon",
       head + "NoColonHere\r\nContent-Length: " + length + "\r\n\r\n" + record},
      {"a header name with a character outside tchar",
       head + "X(Bad): 1\r\nContent-Length: " + length + "\r\n\r\n" + record},
      {"an empty header name", head + ": 1\r\nContent-Length: " + length + "\r\n\r\n" + record},
      {"a control character in a header value",
       head + "X-A: a\x01z\r\nContent-Length: " + length + "\r\n\r\n" + record},
      {"a CR not followed by LF", head + "X-A: a\rContent-Length: " + length + "\r\n\r\n" + record},
      {"a non-numeric Content-Length", head + "Content-Length: abc\r\n\r\n" + record},
      {"a negative Content-Length", head + "Content-Length: -1\r\n\r\n" + record},
      {"a Content-Length with trailing garbage",
       head + "Content-Length: " + length + "x\r\n\r\n" + record},
      {"a Content-Length list",
       head + "Content-Length: " + length + ", " + length + "\r\n\r\n" + record},
      {"two conflicting Content-Length headers",
       head + "Content-Length: 2\r\nContent-Length: " + length + "\r\n\r\n" + record},
      // RFC 9112 §6.3 would allow merging identical values; http_parser refuses any repeat.
      {"two identical Content-Length headers",
       head + "Content-Length: " + length + "\r\nContent-Length: " + length + "\r\n\r\n" + record},
      {"Content-Length together with chunked",
       head + "Content-Length: " + length + "\r\nTransfer-Encoding: chunked\r\n\r\n" + record},
      {"a Transfer-Encoding other than chunked last",
       head + "Transfer-Encoding: gzip\r\n\r\n" + record},
      {"a chunk size that is not hex", chunked + "zz\r\n" + record + "\r\n0\r\n\r\n"},
      {"a chunk longer than its size", chunked + "2\r\n" + record + "\r\n0\r\n\r\n"},
      {"a chunk size that overflows",
       chunked + "ffffffffffffffffffff\r\n" + record + "\r\n0\r\n\r\n"},
  };
  int good = 0;
  for (const auto& one : cases) {
    const std::string& what = one.first;  // (clang 14 cannot capture a structured binding)
    const std::string& bytes = one.second;
    CAPTURE(what);
    {
      RawClient raw(a.port);
      raw.send(bytes);
      auto answers = raw.read(1);
      REQUIRE(answers.size() == 1);
      CHECK(answers[0].status == 400);
      CHECK(answers[0].header("Connection") == "close");
      CHECK(raw.closed_by_peer());
    }
    // A good request on a new connection is served.
    CurlClient client;
    CHECK(client.post(a.url, ndjson(good++, 1), kNdjson).status == 200);
  }
  // The output is in order: once the last good record is there, anything taken from a malformed
  // request would be too.
  REQUIRE(a.delivered_count(static_cast<size_t>(good)));
  std::set<std::string> codes;
  for (const auto& [id, code] : a.delivered())
    codes.insert(code);
  CHECK(codes.size() == static_cast<size_t>(good));
  CHECK(codes.count("seq-900") == 0);
}

TEST_CASE("http: headers sent one byte a second get 408 and a close; other clients are served") {
  HttpAgent c;
  c.input_extra = "      header_timeout: 3s\n";
  Running a(c);
  const std::string request =
      "POST /v1/audit HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(100, 'y') + "\r\n\r\n";
  const auto started = std::chrono::steady_clock::now();  // before the agent accepts
  RawClient slow(a.port);
  slow.send(request.substr(0, 1));
  // While the slow client holds its connection, another one is served as usual.
  CurlClient client;
  CHECK(client.post(a.url, ndjson(0, 2), kNdjson).status == 200);
  CHECK(slow.read(1, std::chrono::milliseconds(10)).empty());

  std::vector<RawResponse> answers;
  for (size_t i = 1; i < request.size() && answers.empty(); ++i) {
    REQUIRE(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
    answers = slow.read(1, std::chrono::seconds(1));  // waits for the answer; paces the client
    if (answers.empty()) slow.send(request.substr(i, 1));
  }
  REQUIRE(answers.size() == 1);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(answers[0].status == 408);
  CHECK(answers[0].header("Connection") == "close");
  CHECK(elapsed >= std::chrono::seconds(3));
  CHECK(slow.closed_by_peer());
  // Still serving; and the slow request never reached the pipeline.
  CHECK(client.post(a.url, ndjson(2, 1), kNdjson).status == 200);
  REQUIRE(a.delivered_count(3));
  CHECK(a.delivered().size() == 3);
}

TEST_CASE("http: idle_timeout closes a silent keep-alive connection after its answer") {
  HttpAgent c;
  c.input_extra = "      idle_timeout: 500ms\n";
  Running a(c);
  RawClient raw(a.port);
  CHECK(post_one_record(raw).header("Connection").empty());  // kept alive, until it idles
  const auto answered = std::chrono::steady_clock::now();
  CHECK(raw.closed_by_peer(std::chrono::seconds(10)));
  CHECK(std::chrono::steady_clock::now() - answered >= std::chrono::milliseconds(400));
  CHECK(raw.read(1, std::chrono::milliseconds(0)).empty());  // closed without a word
}

TEST_CASE("http: max_connections closes one connection more; served again once one closes") {
  HttpAgent c;
  c.input_extra = "      max_connections: 2\n";
  Running a(c);
  const std::string body = ndjson(0, 1);
  const std::string post = raw_post(body);
  auto first = std::make_unique<RawClient>(a.port);
  RawClient second(a.port);
  // Answered, so both are open on the agent's side before the third connects.
  first->send(post);
  second.send(post);
  REQUIRE(first->read(1).size() == 1);
  REQUIRE(second.read(1).size() == 1);
  {
    RawClient third(a.port);  // the kernel accepts it; the agent closes it unanswered
    CHECK(third.closed_by_peer());
    CHECK(third.read(1, std::chrono::milliseconds(0)).empty());
  }
  CurlClient refused;
  CHECK(refused.post(a.url, ndjson(1, 1), kNdjson).status == 0);

  // Once one closes, the agent serves a new connection again (after it saw the close).
  first.reset();
  CHECK(wait_until([&] { return CurlClient().post(a.url, ndjson(1, 1), kNdjson).status == 200; },
                   std::chrono::seconds(10)));
  second.send(post);
  auto again = second.read(1);
  REQUIRE(again.size() == 1);
  CHECK(again[0].status == 200);
}

TEST_CASE("http: a full buffer answers 503 with Retry-After, appends nothing, loses nothing") {
  TempDir es_dir;
  FakeElasticsearch es(es_dir.path());
  es.set_faults(R"({"requests_status":503,"requests_count":1000000})");
  HttpAgent c;
  // One byte: the first append fills the buffer, and the output cannot deliver it yet.
  c.storage = "{path: state, max_bytes: 1, when_full: block}";
  c.extra_service = "  http_server: {listen: \"127.0.0.1:0\"}\n";
  c.output_yaml = "    - name: es\n      type: elasticsearch\n      hosts: [\"" + es.url() +
                  "\"]\n      retry: {initial: 20ms, max: 200ms}\n";
  Running a(c);
  CurlClient client;
  CHECK(client.post(a.url, ndjson(0, 10), kNdjson).status == 200);
  const std::string second = ndjson(10, 5) + "bad\n";
  HttpResult full = client.post(a.url, second, kNdjson);
  CHECK(full.status == 503);
  CHECK(full.header("Retry-After") == "1");
  // Nothing of it: not even its invalid record went to the dead-letter file.
  CHECK(read_lines(a.dir / "state" / "dead_letter.ndjson").empty());
  int monitoring = monitoring_port(a.dir / "agent0.stderr");
  REQUIRE(monitoring != 0);
  std::string metrics =
      client.get("http://127.0.0.1:" + std::to_string(monitoring) + "/api/v1/metrics/prometheus")
          .body;
  CHECK(metrics.find("auditrelay_buffer_appended_records_total 10\n") != std::string::npos);
  CHECK(metrics.find("auditrelay_http_requests_total{input=\"api\",status=\"503\"} 1") !=
        std::string::npos);
  // The health check says why: a refused POST counts as an input paused by a full buffer.
  const std::string health = "http://127.0.0.1:" + std::to_string(monitoring) + "/api/v1/health";
  HttpResult unhealthy = client.get(health);
  CHECK(unhealthy.status == 503);
  CHECK(unhealthy.body.find("storage.max_bytes reached") != std::string::npos);

  // Elasticsearch recovers; the client sends the refused body again once there is room.
  es.clear_faults();
  REQUIRE(wait_until([&] { return es.ids().size() == 10; }, std::chrono::seconds(15)));
  HttpResult retried;
  REQUIRE(wait_until([&] { return (retried = client.post(a.url, second, kNdjson)).status != 503; },
                     std::chrono::seconds(15)));
  CHECK(retried.status == 200);
  CHECK(json(retried.body)["accepted"].GetInt() == 5);
  CHECK(client.get(health).status == 200);
  REQUIRE(wait_until([&] { return es.ids().size() == 15; }, std::chrono::seconds(15)));
  std::vector<std::string> ids = es.ids();
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 15);
  CHECK(read_lines(a.dir / "state" / "dead_letter.ndjson").size() == 1);
}

TEST_CASE("http: SIGTERM stops the agent while a client holds an idle keep-alive connection") {
  HttpAgent config;
  config.extra_service = "  http_server: {listen: 127.0.0.1:0}\n";
  Running a(config);
  RawClient raw(a.port);
  post_one_record(raw);
  // The status page shows the input's address and the connection.
  const int monitoring = monitoring_port(a.dir / "agent0.stderr");
  REQUIRE(monitoring != 0);
  CurlClient client;
  rapidjson::Document status =
      json(client.get("http://127.0.0.1:" + std::to_string(monitoring) + "/api/v1/status").body);
  const rapidjson::Value& input = status["inputs"][0];
  CHECK(std::string(input["listen"].GetString()) == "127.0.0.1:" + std::to_string(a.port));
  CHECK(input["connections"].GetUint64() == 1);
  CHECK(input["records"].GetUint64() == 1);
  // The connection stays open and idle (the idle timeout is 60 s): the agent must not wait.
  CHECK(stop_agent(*a.agent, a.dir / "agent0.stderr") == 0);
  a.agent.reset();
  CHECK(raw.closed_by_peer());
}

TEST_CASE("http: 100 clients post 100,000 records; each is delivered exactly once") {
  Running a;
  const int clients = 100;
  const int per_client = 1000;
  const int per_post = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      CurlClient client;
      for (int p = 0; p < per_client / per_post; ++p) {
        HttpResult r = client.post(a.url, ndjson(t * per_client + p * per_post, per_post),
                                   {"Content-Type: application/x-ndjson"});
        if (r.status != 200) failures++;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  CHECK(failures.load() == 0);
  const size_t n = static_cast<size_t>(clients * per_client);
  REQUIRE(a.delivered_count(n));
  auto got = a.delivered();
  std::set<std::string> ids;
  std::set<std::string> codes;
  for (const auto& [id, code] : got) {
    ids.insert(id);
    codes.insert(code);
  }
  CHECK(got.size() == n);
  CHECK(ids.size() == n);
  CHECK(codes.size() == n);
}

TEST_CASE("http: tls serves HTTPS; records posted over a kept-alive connection are delivered") {
  TempDir certs;
  CertificateFiles files = write_self_signed_certificate(certs.path());
  HttpAgent c;
  c.input_extra = "      tls: {cert_file: " + files.cert_file.string() +
                  ", key_file: " + files.key_file.string() + "}\n";
  Running a(c, "https");
  const std::string log = read_file(a.dir / "agent0.stderr");
  CHECK(log.find("in_http[api]: listening address=127.0.0.1:" + std::to_string(a.port) +
                 " path=/v1/audit tls=on") != std::string::npos);

  {
    HttpsClient client(files.cert_file.string());
    HttpResult r = client.post(a.url, ndjson(0, 3), kNdjson);
    INFO(client.error());
    CHECK(r.status == 200);
    CHECK(r.body == R"({"accepted":3,"rejected":[]})");
    r = client.post(a.url, auditrelay::fakes::gzip(ndjson(3, 4)),
                    {"Content-Type: application/x-ndjson", "Content-Encoding: gzip"});
    CHECK(r.status == 200);
    CHECK(client.new_connections() == 0);
    REQUIRE(a.delivered_count(7));
    CHECK(a.delivered().size() == 7);

    // Plaintext to the TLS port: the connection is closed, the agent goes on.
    CurlClient plain;
    CHECK(
        plain
            .post("http://127.0.0.1:" + std::to_string(a.port) + "/v1/audit", ndjson(7, 1), kNdjson)
            .status == 0);
    CHECK(client.post(a.url, ndjson(7, 1), kNdjson).status == 200);
    REQUIRE(a.delivered_count(8));
  }
  // Once the clients closed their connections, as the tests above do.
  CHECK(stop_agent(*a.agent, a.dir / "agent0.stderr") == 0);
  a.agent.reset();
}

TEST_CASE("http: a missing tls key file is refused by check and at start, naming the file") {
  TempDir dir;
  CertificateFiles files = write_self_signed_certificate(dir.path());
  const std::string missing = (dir / "missing.key").string();
  HttpAgent c;
  c.input_extra =
      "      tls: {cert_file: " + files.cert_file.string() + ", key_file: " + missing + "}\n";
  write_http_config(dir, c);
  const std::string key_text = read_file(files.key_file);

  Result check = run_agent({"check", "-c", (dir / "agent.yaml").string()}, dir.path());
  CHECK(check.exit_code != 0);
  CHECK(check.err.find("pipeline.inputs[0].tls.key_file") != std::string::npos);
  CHECK(check.err.find(missing) != std::string::npos);

  Result run = run_agent({"run", "-c", (dir / "agent.yaml").string()}, dir.path());
  CHECK(run.exit_code != 0);
  CHECK(run.err.find(missing) != std::string::npos);
  CHECK(run.err.find("No such file or directory") != std::string::npos);
  CHECK(run.err.find("listening") == std::string::npos);

  // Only one of the two keys: refused like any missing key.
  c.input_extra = "      tls: {cert_file: " + files.cert_file.string() + "}\n";
  write_http_config(dir, c);
  check = run_agent({"check", "-c", (dir / "agent.yaml").string()}, dir.path());
  CHECK(check.exit_code != 0);
  CHECK(check.err.find("tls.key_file: missing required key 'key_file'") != std::string::npos);
  // And an unknown key inside tls.
  c.input_extra = "      tls: {cert_file: " + files.cert_file.string() +
                  ", key_file: " + files.key_file.string() + ", ca_file: x.pem}\n";
  write_http_config(dir, c);
  check = run_agent({"check", "-c", (dir / "agent.yaml").string()}, dir.path());
  CHECK(check.exit_code != 0);
  CHECK(check.err.find("tls.ca_file: unknown key 'ca_file'") != std::string::npos);
  // Both files right: valid, and the effective configuration shows their paths only.
  c.input_extra = "      tls: {cert_file: " + files.cert_file.string() +
                  ", key_file: " + files.key_file.string() + "}\n";
  write_http_config(dir, c);
  check = run_agent({"check", "-c", (dir / "agent.yaml").string()}, dir.path());
  CHECK(check.exit_code == 0);
  CHECK(check.out.find(files.key_file.string()) != std::string::npos);
  CHECK(check.out.find(key_text.substr(30, 20)) == std::string::npos);
}
