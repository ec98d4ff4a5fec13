#include "plugins/out_splunk_hec/hec_response.h"

#include <doctest/doctest.h>

using namespace auditrelay;
using namespace auditrelay::delivery;
using auditrelay::splunk_hec::classify_hec_response;

namespace {

HttpResponse response(long status, std::string body, std::string retry_after = "") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

Outcome classify(const HttpResponse& r, size_t items = 1) {
  return classify_hec_response(r, items, RetryableStatuses());
}

}  // namespace

TEST_CASE("code 0 with 200: delivered") {
  Outcome o = classify(response(200, R"({"text":"Success","code":0})"), 3);
  CHECK(o.verdict == Verdict::kDelivered);
  CHECK(o.items.empty());
  CHECK_FALSE(o.too_large);
  CHECK(o.alert.empty());
}

TEST_CASE("server error, busy, unhealthy: retry, Retry-After kept") {
  struct Case {
    long status;
    const char* body;
  };
  for (
      const Case& c :
      {Case{500, R"({"text":"Internal server error","code":8})"},
       Case{503, R"({"text":"Server is busy","code":9})"},
       Case{503, R"({"text":"HEC is unhealthy, queues are full","code":18})"},
       Case{503, R"({"text":"HEC is unhealthy, ack service unavailable","code":19})"},
       Case{
           503,
           R"({"text":"HEC is unhealthy, queues are full, ack service unavailable","code":20})"}}) {
    CAPTURE(c.body);
    Outcome o = classify(response(c.status, c.body, "30"), 4);
    CHECK(o.verdict == Verdict::kRetry);
    CHECK(o.items.empty());
    CHECK(o.retry_after == "30");
    CHECK(o.alert.empty());
    CHECK(o.status == c.status);
  }
}

TEST_CASE("HTTP 429 and 503 without a HEC body: retry") {
  Outcome o = classify(response(429, "Too Many Requests", "5"));
  CHECK(o.verdict == Verdict::kRetry);
  CHECK(o.retry_after == "5");
  CHECK(classify(response(503, "<html>down</html>")).verdict == Verdict::kRetry);
  CHECK(classify(response(502, "")).verdict == Verdict::kRetry);
}

TEST_CASE("token problems: retry with an actionable alert") {
  struct Case {
    long status;
    const char* body;
    const char* alert_start;
  };
  for (const Case& c : {
           Case{403, R"({"text":"Token disabled","code":1})",
                "Splunk refused the HEC token (code 1: Token disabled)"},
           Case{401, R"({"text":"Token is required","code":2})",
                "Splunk did not accept the authorization (code 2"},
           Case{401, R"({"text":"Invalid authorization","code":3})",
                "Splunk did not accept the authorization (code 3"},
           Case{403, R"({"text":"Invalid token","code":4})",
                "Splunk refused the HEC token (code 4: Invalid token): check this output's token; "
                "the events stay buffered"},
           Case{403, R"({"text":"Invalid token","code":21})",
                "Splunk refused the HEC token (code 21"},
           Case{403, R"({"text":"Token disabled","code":22})",
                "Splunk refused the HEC token (code 22"},
       }) {
    CAPTURE(c.body);
    Outcome o = classify(response(c.status, c.body), 2);
    CHECK(o.verdict == Verdict::kRetry);
    CHECK(o.items.empty());
    CHECK(o.alert.rfind(c.alert_start, 0) == 0);
    CHECK(o.alert.find("the events stay buffered") != std::string::npos);
  }
}

TEST_CASE("channel and ack configuration problems: retry with an alert naming it") {
  Outcome o = classify(response(400, R"({"text":"Data channel is missing","code":10})"));
  CHECK(o.verdict == Verdict::kRetry);
  CHECK(o.alert.find("acknowledgement") != std::string::npos);
  o = classify(response(400, R"({"text":"Invalid data channel","code":11})"));
  CHECK(o.verdict == Verdict::kRetry);
  CHECK(o.alert.find("data channel") != std::string::npos);
  o = classify(response(400, R"({"text":"ACK is disabled","code":14})"));
  CHECK(o.verdict == Verdict::kRetry);
  CHECK(o.alert.find("ack: true") != std::string::npos);
}

TEST_CASE("bad event K: those before delivered, K rejected, those after sent again") {
  for (int code : {5, 6, 12, 13, 15}) {
    CAPTURE(code);
    const std::string body = R"({"text":"Invalid data format","code":)" + std::to_string(code) +
                             R"(,"invalid-event-number":2})";
    Outcome o = classify(response(400, body), 5);
    REQUIRE(o.items.size() == 5);
    CHECK(o.items[0].verdict == Verdict::kDelivered);
    CHECK(o.items[1].verdict == Verdict::kDelivered);
    CHECK(o.items[2].verdict == Verdict::kRejected);
    CHECK(o.items[2].status == 400);
    CHECK(o.items[2].error_type == "hec_code_" + std::to_string(code));
    CHECK(o.items[2].reason == "code " + std::to_string(code) + ": Invalid data format");
    CHECK(o.items[3].verdict == Verdict::kRetry);
    CHECK(o.items[4].verdict == Verdict::kRetry);
  }
}

TEST_CASE("bad first event: nothing delivered") {
  Outcome o = classify(
      response(400, R"({"text":"Event field is required","code":12,"invalid-event-number":0})"), 2);
  REQUIRE(o.items.size() == 2);
  CHECK(o.items[0].verdict == Verdict::kRejected);
  CHECK(o.items[1].verdict == Verdict::kRetry);
}

TEST_CASE("incorrect index: item K rejected, or all without K") {
  Outcome o =
      classify(response(400, R"({"text":"Incorrect index","code":7,"invalid-event-number":1})"), 3);
  REQUIRE(o.items.size() == 3);
  CHECK(o.items[0].verdict == Verdict::kDelivered);
  CHECK(o.items[1].verdict == Verdict::kRejected);
  CHECK(o.items[1].reason == "incorrect index");
  CHECK(o.items[2].verdict == Verdict::kRetry);

  o = classify(response(400, R"({"text":"Incorrect index","code":7})"), 3);
  CHECK(o.items.empty());
  CHECK(o.verdict == Verdict::kRejected);
  CHECK(o.reason == "incorrect index");
}

TEST_CASE("a bad-event code with K out of range or missing: all rejected") {
  Outcome o = classify(
      response(400, R"({"text":"Invalid data format","code":6,"invalid-event-number":9})"), 3);
  CHECK(o.items.empty());
  CHECK(o.verdict == Verdict::kRejected);
  o = classify(response(400, R"({"text":"No data","code":5})"), 3);
  CHECK(o.verdict == Verdict::kRejected);
}

TEST_CASE("413: too large") {
  Outcome o = classify(response(413, R"({"text":"Content too large","code":27})"), 10);
  CHECK(o.too_large);
}

TEST_CASE("no response: retry as a connection error") {
  HttpResponse r;
  r.error = "Couldn't connect to server";
  Outcome o = classify(r);
  CHECK(o.verdict == Verdict::kRetry);
  CHECK(o.error_type == "connection_error");
  CHECK(o.reason == "Couldn't connect to server");
}

TEST_CASE("no HEC answer: 5xx retry, 4xx rejected, 401/403/404 retry with an alert") {
  CHECK(classify(response(500, "oops")).verdict == Verdict::kRetry);
  CHECK(classify(response(500, R"({"some":"json"})")).verdict == Verdict::kRetry);
  CHECK(classify(response(400, "bad")).verdict == Verdict::kRejected);
  CHECK(classify(response(400, R"({"text":"?","code":99})")).verdict == Verdict::kRejected);
  CHECK(classify(response(503, R"({"text":"?","code":99})")).verdict == Verdict::kRetry);
  Outcome o = classify(response(404, "Not Found"));
  CHECK(o.verdict == Verdict::kRetry);
  CHECK(o.alert.find("url") != std::string::npos);
  o = classify(response(403, "Forbidden"));
  CHECK(o.verdict == Verdict::kRetry);
  CHECK_FALSE(o.alert.empty());
  CHECK(classify(response(200, "OK")).verdict == Verdict::kDelivered);
}

TEST_CASE("the configured retryable statuses are honoured") {
  RetryableStatuses only_429;
  std::string bad;
  REQUIRE(only_429.parse({"429"}, bad));
  CHECK(classify_hec_response(response(502, ""), 1, only_429).verdict == Verdict::kRejected);
  CHECK(classify_hec_response(response(429, ""), 1, only_429).verdict == Verdict::kRetry);
}
