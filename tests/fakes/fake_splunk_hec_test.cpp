// fake_splunk_hec through real HTTP: each HEC rule and fault it offers.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_splunk_hec_handle.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::fakes {
namespace {

const std::string kAuth = std::string("Authorization: Splunk ") + FakeSplunkHec::kDefaultToken;
const std::string kChannel = "X-Splunk-Request-Channel: 0f2b6a3e-8c1d-4e5f-9a7b-123456789abc";

// One HEC event envelope whose event carries the record id.
std::string envelope(const std::string& id, const std::string& extra = "") {
  return "{\"time\":1700000000.5,\"host\":\"h\",\"sourcetype\":\"auditrelay\"" + extra +
         ",\"event\":{\"id\":\"" + id + "\",\"message\":\"m\"}}";
}

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

struct Fixture {
  test::TempDir dir;
  CurlClient client;

  HttpResult post(const std::string& url, const std::string& body,
                  std::vector<std::string> headers = {kAuth}) {
    return client.request("POST", url, body, headers);
  }
  HttpResult send(FakeSplunkHec& hec, const std::string& body,
                  std::vector<std::string> headers = {kAuth}) {
    return post(hec.url() + "/services/collector/event", body, std::move(headers));
  }
  HttpResult poll(FakeSplunkHec& hec, const std::string& acks) {
    return post(hec.url() + "/services/collector/ack", "{\"acks\":[" + acks + "]}",
                {kAuth, kChannel});
  }
};

void check_answer(const HttpResult& r, long status, int code, int invalid_event_number = -1) {
  CHECK_MESSAGE(r.status == status, r.body);
  auto doc = json(r.body);
  CHECK(doc["code"].GetInt() == code);
  if (invalid_event_number >= 0) {
    REQUIRE_MESSAGE(doc.HasMember("invalid-event-number"), r.body);
    CHECK(doc["invalid-event-number"].GetInt() == invalid_event_number);
  } else {
    CHECK(!doc.HasMember("invalid-event-number"));
  }
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "concatenated events are indexed and answered Success") {
  FakeSplunkHec hec(dir.path());
  auto r = send(hec, envelope("a") + "\n" + envelope("b", ",\"index\":\"audit\"") + "  " +
                         envelope("c", ",\"fields\":{\"k\":\"v\",\"l\":[\"x\"]}") + "\n");
  CHECK(r.status == 200);
  CHECK(r.body == "{\"text\":\"Success\",\"code\":0}");
  CHECK(hec.ids() == std::vector<std::string>{"a\t1", "b\t1", "c\t1"});
  auto events = hec.events();
  REQUIRE(events.size() == 3);
  auto second = json(events[1]);
  CHECK(std::string(second["index"].GetString()) == "audit");
  CHECK(std::string(second["host"].GetString()) == "h");
  // The /1.0 path is the same endpoint; a duplicate is counted.
  CHECK(post(hec.url() + "/services/collector/event/1.0", envelope("a")).status == 200);
  CHECK(hec.ids()[0] == "a\t2");
  auto stats = hec.stats();
  CHECK(stats["indexed"].GetUint64() == 4);
  CHECK(stats["requests"].GetUint64() == 2);
  CHECK(stats["events_received"].GetUint64() == 4);
  CHECK(stats["requests_by_code"]["0"].GetUint64() == 2);
  CHECK(stats["bytes_received"].GetUint64() > 0);
  hec.reset();
  CHECK(hec.indexed() == 0);
  CHECK(hec.ids().empty());
}

TEST_CASE_FIXTURE(Fixture, "--expect-events: ids and stored events as without it, across resets") {
  FakeSplunkHec hec(dir.path(), {"--expect-events", "3000"});
  for (int round = 0; round < 2; ++round) {
    std::string body;
    for (int i = 0; i < 2500; ++i)
      body += envelope("e" + std::to_string(i));
    REQUIRE(send(hec, body).status == 200);
    REQUIRE(send(hec, envelope("e7")).status == 200);
    auto ids = hec.ids();
    REQUIRE(ids.size() == 2500);
    CHECK(ids.front() == "e0\t1");
    CHECK(ids[7] == "e7\t2");
    CHECK(hec.events().size() == 2501);
    hec.reset();
    CHECK(hec.ids().empty());
  }
}

TEST_CASE_FIXTURE(Fixture, "token missing, malformed, wrong; --token") {
  FakeSplunkHec hec(dir.path(), {"--token", "secret"});
  auto missing = send(hec, envelope("a"), {});
  check_answer(missing, 401, 2);
  CHECK(json(missing.body)["text"].GetString() == std::string("Token is required"));
  check_answer(send(hec, envelope("a"), {"Authorization: Bearer secret"}), 401, 3);
  auto wrong = send(hec, envelope("a"), {"Authorization: Splunk nope"});
  check_answer(wrong, 403, 4);
  CHECK(json(wrong.body)["text"].GetString() == std::string("Invalid token"));
  check_answer(send(hec, envelope("a"), {"Authorization: Splunk secret"}), 200, 0);
  CHECK(hec.indexed() == 1);
}

TEST_CASE_FIXTURE(Fixture, "gzip bodies; a corrupt one is invalid data") {
  FakeSplunkHec hec(dir.path());
  std::string body = envelope("g1") + envelope("g2");
  check_answer(send(hec, gzip(body), {kAuth, "Content-Encoding: gzip"}), 200, 0);
  CHECK(hec.indexed() == 2);
  check_answer(send(hec, "not gzip", {kAuth, "Content-Encoding: gzip"}), 400, 6, 0);
  check_answer(send(hec, "  \n"), 400, 5);
}

TEST_CASE_FIXTURE(Fixture, "events before an invalid one are indexed, it and the rest are not") {
  FakeSplunkHec hec(dir.path());
  auto r = send(hec, envelope("a") + envelope("b") + "{\"host\":\"h\"}" + envelope("c"));
  check_answer(r, 400, 12, 2);
  CHECK(json(r.body)["text"].GetString() == std::string("Event field is required"));
  CHECK(hec.ids() == std::vector<std::string>{"a\t1", "b\t1"});
  check_answer(send(hec, envelope("d") + "{\"event\":\"\"}"), 400, 13, 1);
  check_answer(send(hec, envelope("e") + "{\"event\":"), 400, 6, 1);
  check_answer(send(hec, "[" + envelope("f") + "]"), 400, 12, 0);
  check_answer(send(hec, envelope("g", ",\"fields\":{\"k\":{\"x\":1}}")), 400, 15, 0);
  CHECK(hec.indexed() == 4);  // a, b, d, e
}

TEST_CASE_FIXTURE(Fixture, "an index outside --indexes is Incorrect index") {
  FakeSplunkHec hec(dir.path(), {"--indexes", "audit"});
  auto r = send(hec, envelope("a", ",\"index\":\"audit\"") + envelope("b", ",\"index\":\"main\""));
  check_answer(r, 400, 7, 1);
  CHECK(json(r.body)["text"].GetString() == std::string("Incorrect index"));
  CHECK(hec.indexed() == 1);
}

TEST_CASE_FIXTURE(Fixture, "acknowledgement: channel required, ackIds per channel, polled once") {
  FakeSplunkHec hec(dir.path(), {"--ack"});
  check_answer(send(hec, envelope("a")), 400, 10);
  check_answer(send(hec, envelope("a"), {kAuth, "X-Splunk-Request-Channel: nope"}), 400, 11);
  auto first = send(hec, envelope("a"), {kAuth, kChannel});
  CHECK(first.body == "{\"text\":\"Success\",\"code\":0,\"ackId\":0}");
  CHECK(json(send(hec, envelope("b"), {kAuth, kChannel}).body)["ackId"].GetInt() == 1);
  auto other = send(hec, envelope("c"),
                    {kAuth, "X-Splunk-Request-Channel: 11111111-2222-3333-4444-555555555555"});
  CHECK(json(other.body)["ackId"].GetInt() == 0);
  auto acks = poll(hec, "0,1,7");
  CHECK(acks.status == 200);
  CHECK(acks.body == "{\"acks\":{\"0\":true,\"1\":true,\"7\":false}}");
  CHECK(poll(hec, "0").body == "{\"acks\":{\"0\":false}}");  // released once reported
  CHECK(hec.stats()["acks_polled"].GetUint64() == 2);
  check_answer(post(hec.url() + "/services/collector/ack", "{\"acks\":[0]}", {kAuth}), 400, 10);
}

TEST_CASE_FIXTURE(Fixture, "acknowledgement faults: delayed, never, out of order") {
  FakeSplunkHec hec(dir.path(), {"--ack"});
  hec.set_faults("{\"ack_delay_ms\":1000}");
  send(hec, envelope("a"), {kAuth, kChannel});
  CHECK(poll(hec, "0").body == "{\"acks\":{\"0\":false}}");
  CHECK(test::wait_until([&] { return poll(hec, "0").body == "{\"acks\":{\"0\":true}}"; },
                         std::chrono::seconds(3)));

  hec.set_faults("{\"ack_delay_ms\":0,\"ack_never_ratio\":1}");
  check_answer(send(hec, envelope("b"), {kAuth, kChannel}), 200, 0);
  CHECK(poll(hec, "1").body == "{\"acks\":{\"1\":false}}");
  CHECK(hec.ids() == std::vector<std::string>{"a\t1", "b\t1"});  // stored all the same
  auto events = hec.events();
  CHECK(json(events[1])["_fake_never_acked"].GetBool());
  CHECK(!json(events[0]).HasMember("_fake_never_acked"));
  CHECK(hec.stats()["never_acked_events"].GetUint64() == 1);

  hec.set_faults("{\"ack_never_ratio\":0,\"ack_out_of_order\":true}");
  send(hec, envelope("c"), {kAuth, kChannel});  // ackId 2: held back
  send(hec, envelope("d"), {kAuth, kChannel});  // ackId 3
  CHECK(poll(hec, "2,3").body == "{\"acks\":{\"2\":false,\"3\":true}}");
  CHECK(test::wait_until([&] { return poll(hec, "2").body == "{\"acks\":{\"2\":true}}"; },
                         std::chrono::seconds(3)));
}

TEST_CASE_FIXTURE(Fixture, "ack without --ack is ACK is disabled") {
  FakeSplunkHec hec(dir.path());
  check_answer(poll(hec, "0"), 400, 14);
}

TEST_CASE_FIXTURE(Fixture, "health") {
  FakeSplunkHec hec(dir.path());
  auto healthy = client.get(hec.url() + "/services/collector/health");
  check_answer(healthy, 200, 17);
  hec.set_faults("{\"health_code\":18}");
  auto sick = client.get(hec.url() + "/services/collector/health/1.0");
  check_answer(sick, 503, 18);
  CHECK(json(sick.body)["text"].GetString() == std::string("HEC is unhealthy, queues are full"));
  hec.clear_faults();
  CHECK(client.get(hec.url() + "/services/collector/health").status == 200);
}

TEST_CASE_FIXTURE(Fixture, "whole-request faults: busy with Retry-After, 429, drops, size") {
  FakeSplunkHec hec(dir.path());
  hec.set_faults("{\"requests_count\":2,\"requests_code\":9,\"retry_after\":5}");
  for (int i = 0; i < 2; ++i) {
    auto busy = send(hec, envelope("a"));
    check_answer(busy, 503, 9);
    CHECK(busy.header("Retry-After") == "5");
    CHECK(json(busy.body)["text"].GetString() == std::string("Server is busy"));
  }
  check_answer(send(hec, envelope("a")), 200, 0);
  hec.set_faults("{\"requests_count\":1,\"requests_code\":9,\"requests_status\":429}");
  check_answer(send(hec, envelope("b")), 429, 9);
  hec.set_faults("{\"requests_count\":1,\"requests_code\":8,\"requests_status\":0}");
  check_answer(send(hec, envelope("b")), 500, 8);

  hec.set_faults("{\"drop_requests\":1}");
  {
    // A fresh connection: libcurl resends a request once when a reused one closes unanswered.
    CurlClient fresh;
    auto dropped =
        fresh.request("POST", hec.url() + "/services/collector/event", envelope("c"), {kAuth});
    CHECK(dropped.code == CURLE_GOT_NOTHING);
  }
  hec.set_faults("{\"max_body_bytes\":10}");
  auto big = send(hec, envelope("c"));
  CHECK(big.status == 413);
  hec.set_faults(
      "{\"max_body_bytes\":0,\"invalid_event_ids\":[\"bad\"],\"invalid_event_code\":15}");
  check_answer(send(hec, envelope("ok") + envelope("bad") + envelope("after")), 400, 15, 1);
  CHECK_THROWS(hec.set_faults("{\"nope\":1}"));

  auto stats = hec.stats();
  CHECK(stats["indexed"].GetUint64() == 2);  // a, ok
  CHECK(stats["requests_by_code"]["9"].GetUint64() == 3);
  CHECK(stats["requests_by_code"]["8"].GetUint64() == 1);
  CHECK(stats["requests_by_code"]["dropped"].GetUint64() == 1);
  CHECK(stats["requests_by_code"]["413"].GetUint64() == 1);
  CHECK(stats["requests_by_code"]["15"].GetUint64() == 1);
}

TEST_CASE_FIXTURE(Fixture, "down closes the data port and reopens it on the same port") {
  FakeSplunkHec hec(dir.path());
  hec.set_faults("{\"delay_ms\":100}");
  auto start = std::chrono::steady_clock::now();
  check_answer(send(hec, envelope("a")), 200, 0);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(100));
  hec.down(std::chrono::milliseconds(300));
  CurlClient fresh;
  CHECK(
      fresh.request("POST", hec.url() + "/services/collector/event", envelope("b"), {kAuth}).code ==
      CURLE_COULDNT_CONNECT);
  CHECK(test::wait_until(
      [&] {
        CurlClient c;
        return c.request("POST", hec.url() + "/services/collector/event", envelope("b"), {kAuth})
                   .status == 200;
      },
      std::chrono::seconds(3)));
}

}  // namespace auditrelay::fakes
