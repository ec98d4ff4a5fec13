// fake_webhook through real HTTP: requests signed here with OpenSSL and checked there by the
// official Standard Webhooks library, and each fault the fake offers.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_webhook_handle.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::fakes {
namespace {

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string unbase64(const std::string& text) {
  std::string out(3 * (text.size() / 4) + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  // EVP_DecodeBlock counts the bytes that '=' padding stands for.
  size_t padding = text.size() - text.find_last_not_of('=') - 1;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>", the key being the base64 after "whsec_"
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
std::string sign(const std::string& secret, const std::string& id, const std::string& timestamp,
                 const std::string& body) {
  REQUIRE(secret.rfind("whsec_", 0) == 0);
  std::string key = unbase64(secret.substr(6));
  std::string content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
               reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac,
               &mac_size) != nullptr);
  return "v1," + base64(std::string(reinterpret_cast<const char*>(mac), mac_size));
}

std::string now_seconds() {
  return std::to_string(std::time(nullptr));
}

// A second secret, for rotation: 24 random-looking bytes.
const std::string kOtherSecret = "whsec_" + base64("rotation-key-0123456789!");
const std::string kJson = "Content-Type: application/json";

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

std::string event_body(const std::string& id) {
  return "{\"id\":\"" + id + "\",\"type\":\"audit.record\",\"data\":{\"message\":\"m\"}}";
}

struct Fixture {
  test::TempDir dir;
  CurlClient client;

  // POSTs `body` with the given signature header (signed with the default secret if empty).
  HttpResult post(FakeWebhook& hook, const std::string& id, const std::string& body,
                  std::string signatures = "", std::string timestamp = now_seconds(),
                  std::string content_type = kJson) {
    if (signatures.empty()) signatures = sign(FakeWebhook::kDefaultSecret, id, timestamp, body);
    return client.request("POST", hook.url() + "/", body,
                          {content_type, "webhook-id: " + id, "webhook-timestamp: " + timestamp,
                           "webhook-signature: " + signatures});
  }
  HttpResult send(FakeWebhook& hook, const std::string& id) {
    return post(hook, id, event_body(id));
  }
};

uint64_t by_status(rapidjson::Document& stats, const char* status) {
  auto& counts = stats["by_status"];
  return counts.HasMember(status) ? counts[status].GetUint64() : 0;
}

}  // namespace

TEST_CASE("signing matches the Standard Webhooks spec's test vector") {
  CHECK(sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
             "{\"test\": 2432232314}") == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(unbase64(base64("ab")) == "ab");
  CHECK(unbase64(base64("abc")) == "abc");
}

TEST_CASE_FIXTURE(Fixture, "a validly signed event is accepted and stored with its headers") {
  FakeWebhook hook(dir.path());
  std::string timestamp = now_seconds();
  std::string body = event_body("e1");
  std::string signature = sign(FakeWebhook::kDefaultSecret, "msg_1", timestamp, body);
  auto r = post(hook, "msg_1", body, signature, timestamp,
                "Content-Type: application/json; "
                "charset=utf-8");
  CHECK_MESSAGE(r.status == 200, r.body);
  CHECK(hook.ids() == std::vector<std::string>{"msg_1\t1"});
  auto events = hook.events();
  REQUIRE(events.size() == 1);
  auto record = json(events[0]);
  CHECK(std::string(record["webhook_id"].GetString()) == "msg_1");
  CHECK(std::to_string(record["webhook_timestamp"].GetInt64()) == timestamp);
  REQUIRE(record["signatures"].Size() == 1);
  CHECK(std::string(record["signatures"][0].GetString()) == signature);
  CHECK(record["received_ms"].GetInt64() > 0);
  CHECK(std::string(record["event"]["id"].GetString()) == "e1");
  CHECK(std::string(record["event"]["data"]["message"].GetString()) == "m");

  auto stats = hook.stats();
  CHECK(stats["received"].GetUint64() == 1);
  CHECK(stats["delivered"].GetUint64() == 1);
  CHECK(hook.indexed() == 1);
  CHECK(by_status(stats, "200") == 1);
  CHECK(stats["invalid_signatures"].GetUint64() == 0);

  hook.reset();
  CHECK(hook.ids().empty());
  CHECK(hook.events().empty());
  CHECK(hook.stats()["received"].GetUint64() == 0);
}

TEST_CASE_FIXTURE(Fixture, "bad signatures, stale timestamps, wrong Content-Type, other paths") {
  FakeWebhook hook(dir.path());
  std::string body = event_body("e1");
  auto wrong = post(hook, "msg_1", body, sign(kOtherSecret, "msg_1", now_seconds(), body));
  CHECK(wrong.status == 401);
  CHECK(wrong.body == "{\"error\":\"invalid signature\"}");
  // Signed for another body, another id, or ten minutes ago (beyond the 5-minute tolerance).
  CHECK(post(hook, "msg_1", body, sign(FakeWebhook::kDefaultSecret, "msg_1", now_seconds(), "{}"))
            .status == 401);
  CHECK(post(hook, "msg_1", body, sign(FakeWebhook::kDefaultSecret, "msg_2", now_seconds(), body))
            .status == 401);
  std::string stale = std::to_string(std::time(nullptr) - 600);
  CHECK(post(hook, "msg_1", body, sign(FakeWebhook::kDefaultSecret, "msg_1", stale, body), stale)
            .status == 401);
  CHECK(post(hook, "msg_1", body, "", now_seconds(), "Content-Type: text/plain").status == 415);
  CHECK(client.request("POST", hook.url() + "/elsewhere", body, {kJson}).status == 404);

  auto stats = hook.stats();
  CHECK(stats["invalid_signatures"].GetUint64() == 4);
  CHECK(by_status(stats, "401") == 4);
  CHECK(by_status(stats, "415") == 1);
  CHECK(by_status(stats, "404") == 1);
  CHECK(stats["received"].GetUint64() == 6);
  CHECK(stats["delivered"].GetUint64() == 0);
  CHECK(hook.ids().empty());
}

TEST_CASE_FIXTURE(Fixture, "--path; a good signature over a body that is not JSON") {
  FakeWebhook hook(dir.path(), {"--path", "/hooks/audit"});
  std::string ts = now_seconds();
  std::string body = event_body("e1");
  std::vector<std::string> headers{
      kJson, "webhook-id: m", "webhook-timestamp: " + ts,
      "webhook-signature: " + sign(FakeWebhook::kDefaultSecret, "m", ts, body)};
  CHECK(client.request("POST", hook.url() + "/", body, headers).status == 404);
  CHECK(client.request("POST", hook.url() + "/hooks/audit", body, headers).status == 200);
  CHECK(client.request("GET", hook.url() + "/hooks/audit").status == 405);
  headers.back() = "webhook-signature: " + sign(FakeWebhook::kDefaultSecret, "m", ts, "{nope");
  CHECK(client.request("POST", hook.url() + "/hooks/audit", "{nope", headers).status == 400);
  auto stats = hook.stats();
  CHECK(stats["invalid_json"].GetUint64() == 1);
  CHECK(stats["delivered"].GetUint64() == 1);
}

TEST_CASE_FIXTURE(Fixture, "key rotation: either secret, or a header signed with both") {
  FakeWebhook hook(dir.path(), {"--secret", FakeWebhook::kDefaultSecret, "--secret", kOtherSecret});
  std::string body = event_body("e1");
  std::string ts = now_seconds();
  CHECK(post(hook, "old", body, sign(FakeWebhook::kDefaultSecret, "old", ts, body), ts).status ==
        200);
  CHECK(post(hook, "new", body, sign(kOtherSecret, "new", ts, body), ts).status == 200);
  std::string both = sign(FakeWebhook::kDefaultSecret, "both", ts, body) + " " +
                     sign(kOtherSecret, "both", ts, body);
  CHECK(post(hook, "both", body, both, ts).status == 200);
  std::string third = "whsec_" + base64("a third key, not known!!");
  CHECK(post(hook, "third", body, sign(third, "third", ts, body), ts).status == 401);
  CHECK(hook.ids() == std::vector<std::string>{"old\t1", "new\t1", "both\t1"});
  auto record = json(hook.events()[2]);
  CHECK(record["signatures"].Size() == 2);

  // With only the new secret, the old one's signature is refused.
  test::TempDir other_dir;
  FakeWebhook rotated(other_dir.path(), {"--secret", kOtherSecret});
  CHECK(post(rotated, "old", body, sign(FakeWebhook::kDefaultSecret, "old", ts, body), ts).status ==
        401);
  CHECK(post(rotated, "both", body, both, ts).status == 200);
}

TEST_CASE_FIXTURE(Fixture, "duplicates are counted per webhook-id") {
  FakeWebhook hook(dir.path());
  CHECK(send(hook, "a").status == 200);
  CHECK(send(hook, "b").status == 200);
  CHECK(send(hook, "a").status == 200);
  CHECK(hook.ids() == std::vector<std::string>{"a\t2", "b\t1"});
  auto stats = hook.stats();
  CHECK(stats["delivered"].GetUint64() == 3);
  CHECK(stats["distinct_ids"].GetUint64() == 2);
  CHECK(hook.events().size() == 3);
}

TEST_CASE_FIXTURE(Fixture, "status faults with Retry-After, gone, redirects, answer_status") {
  FakeWebhook hook(dir.path());
  hook.set_faults("{\"status\":503,\"count\":2,\"retry_after\":7}");
  for (int i = 0; i < 2; ++i) {
    auto busy = send(hook, "a");
    CHECK(busy.status == 503);
    CHECK(busy.header("Retry-After") == "7");
  }
  CHECK(hook.faults()["count"].GetInt() == 0);
  CHECK(send(hook, "a").status == 200);
  hook.set_faults("{\"status\":429,\"count\":1}");
  CHECK(send(hook, "b").status == 429);
  CHECK(send(hook, "b").status == 200);

  hook.clear_faults();
  hook.set_faults("{\"gone\":true}");
  for (int i = 0; i < 3; ++i)
    CHECK(send(hook, "c").status == 410);
  hook.clear_faults();
  CHECK(send(hook, "c").status == 200);

  hook.set_faults("{\"status\":302,\"count\":1}");
  auto moved = send(hook, "d");
  CHECK(moved.status == 302);
  CHECK(moved.header("Location") == "http://127.0.0.1:1/elsewhere");
  hook.set_faults("{\"status\":301,\"count\":1,\"location\":\"http://127.0.0.1:2/there\"}");
  auto permanent = send(hook, "d");
  CHECK(permanent.status == 301);
  CHECK(permanent.header("Location") == "http://127.0.0.1:2/there");

  hook.set_faults("{\"answer_status\":204}");
  auto no_content = send(hook, "d");
  CHECK(no_content.status == 204);
  CHECK(no_content.body.empty());

  CHECK_THROWS(hook.set_faults("{\"nope\":1}"));
  CHECK_THROWS(hook.set_faults("{\"status\":\"503\"}"));
  CHECK(hook.faults()["answer_status"].GetInt() == 204);  // a refused request changes nothing

  CHECK(hook.ids() == std::vector<std::string>{"a\t1", "b\t1", "c\t1", "d\t1"});
  auto stats = hook.stats();
  CHECK(by_status(stats, "503") == 2);
  CHECK(by_status(stats, "429") == 1);
  CHECK(by_status(stats, "410") == 3);
  CHECK(by_status(stats, "302") == 1);
  CHECK(by_status(stats, "301") == 1);
  CHECK(by_status(stats, "204") == 1);
  CHECK(stats["received"].GetUint64() == 12);
}

TEST_CASE_FIXTURE(Fixture, "drop_requests closes the connection without an answer") {
  FakeWebhook hook(dir.path());
  hook.set_faults("{\"drop_requests\":1}");
  {
    // A fresh connection: libcurl resends a request once when a reused one closes unanswered.
    CurlClient fresh;
    std::string body = event_body("a");
    std::string ts = now_seconds();
    auto dropped =
        fresh.request("POST", hook.url() + "/", body,
                      {kJson, "webhook-id: a", "webhook-timestamp: " + ts,
                       "webhook-signature: " + sign(FakeWebhook::kDefaultSecret, "a", ts, body)});
    CHECK(dropped.code == CURLE_GOT_NOTHING);
  }
  CHECK(send(hook, "a").status == 200);
  auto stats = hook.stats();
  CHECK(stats["dropped_requests"].GetUint64() == 1);
  CHECK(stats["received"].GetUint64() == 2);
  CHECK(hook.ids() == std::vector<std::string>{"a\t1"});
}

TEST_CASE_FIXTURE(Fixture, "delay, and down closes the data port and reopens it on the same port") {
  FakeWebhook hook(dir.path());
  hook.set_faults("{\"delay_ms\":100}");
  auto start = std::chrono::steady_clock::now();
  CHECK(send(hook, "a").status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(100));
  hook.clear_faults();

  hook.down(std::chrono::milliseconds(300));
  CHECK(send(hook, "b").code == CURLE_COULDNT_CONNECT);  // the kept-alive connection closed too
  CHECK(test::wait_until([&] { return send(hook, "b").status == 200; }, std::chrono::seconds(3)));
  CHECK(hook.ids() == std::vector<std::string>{"a\t1", "b\t1"});
}

}  // namespace auditrelay::fakes
