#include "plugins/out_webhook/webhook_response.h"

#include <doctest/doctest.h>

using namespace auditrelay::delivery;
using auditrelay::webhook::classify_webhook_response;
using auditrelay::webhook::kEndpointGone;

namespace {

HttpResponse response(long status, std::string body = "", std::string retry_after = "") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

Outcome classify(const HttpResponse& r, const RetryableStatuses& retryable = {}) {
  return classify_webhook_response(r, retryable);
}

}  // namespace

TEST_CASE("2xx: delivered") {
  for (long status : {200L, 201L, 202L, 204L}) {
    CAPTURE(status);
    Outcome o = classify(response(status, R"({"status":"accepted"})"));
    CHECK(o.verdict == Verdict::kDelivered);
    CHECK(o.items.empty());
    CHECK(o.alert.empty());
  }
}

TEST_CASE("no response (connection refused, timeout): retry") {
  HttpResponse r;
  r.error = "Timeout was reached";
  Outcome o = classify(r);
  CHECK(o.verdict == Verdict::kRetry);
  CHECK(o.status == 0);
}

TEST_CASE("429, 502, 503, 504: retry with Retry-After, even if retry.statuses leaves them out") {
  RetryableStatuses only_500;
  std::string bad;
  REQUIRE(only_500.parse({"500"}, bad));
  for (long status : {429L, 502L, 503L, 504L}) {
    CAPTURE(status);
    Outcome o = classify(response(status, "busy", "7"), only_500);
    CHECK(o.verdict == Verdict::kRetry);
    CHECK(o.retry_after == "7");
    CHECK(o.status == status);
  }
}

TEST_CASE("3xx: retried with an alert, never followed") {
  for (long status : {301L, 302L, 307L, 308L}) {
    CAPTURE(status);
    Outcome o = classify(response(status));
    CHECK(o.verdict == Verdict::kRetry);
    CHECK(o.alert.find(std::to_string(status)) != std::string::npos);
    CHECK(o.alert.find("set url") != std::string::npos);
  }
  HttpResponse moved = response(301);
  moved.location = "https://user:pw@hooks.example/v2/";
  Outcome o = classify(moved);
  CHECK(o.alert.find("set url to https://hooks.example/v2 ") != std::string::npos);
  CHECK(o.alert.find("pw") == std::string::npos);
}

TEST_CASE("410: rejected as endpoint gone") {
  Outcome o = classify(response(410, "gone"));
  CHECK(o.verdict == Verdict::kRejected);
  CHECK(o.error_type == kEndpointGone);
  CHECK(o.reason == "endpoint gone (410)");
}

TEST_CASE("413: too large (the driver dead-letters a lone event)") {
  Outcome o = classify(response(413));
  CHECK(o.too_large);
}

TEST_CASE("other 4xx: rejected with the status and the start of the body") {
  for (long status : {400L, 401L, 403L, 404L, 422L}) {
    CAPTURE(status);
    Outcome o = classify(response(status, R"({"error":"invalid signature"})"));
    CHECK(o.verdict == Verdict::kRejected);
    CHECK(o.error_type == "http_" + std::to_string(status));
    CHECK(o.reason == R"({"error":"invalid signature"})");
  }
  CHECK(classify(response(400, std::string(1000, 'x'))).reason.size() == 200);
}

TEST_CASE("other 5xx and 4xx: as retry.statuses says") {
  CHECK(classify(response(500)).verdict == Verdict::kRetry);
  CHECK(classify(response(501)).verdict == Verdict::kRejected);  // not by default
  CHECK(classify(response(408)).verdict == Verdict::kRetry);     // by default
  RetryableStatuses custom;
  std::string bad;
  REQUIRE(custom.parse({"409", "503"}, bad));
  CHECK(classify(response(409), custom).verdict == Verdict::kRetry);
  CHECK(classify(response(500), custom).verdict == Verdict::kRejected);
}
