#include "plugins/out_splunk_hec/hec_probe.h"

#include <doctest/doctest.h>

using namespace auditrelay;
using auditrelay::delivery::HttpResponse;

namespace {

HttpResponse answer(long status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("health answers: healthy, nearly full, not ready, not HEC at all") {
  CHECK(splunk_hec::judge_health_answer(answer(200, R"({"text":"HEC is healthy","code":17})")).ok);
  auto nearly_full = splunk_hec::judge_health_answer(
      answer(200, R"({"text":"HEC is healthy but queues are nearly full","code":24})"));
  CHECK(nearly_full.ok);
  CHECK(contains(nearly_full.message, "capacity"));
  auto busy = splunk_hec::judge_health_answer(
      answer(503, R"({"text":"HEC is unhealthy, queues are full","code":19})"));
  CHECK_FALSE(busy.ok);
  CHECK_FALSE(splunk_hec::judge_health_answer(answer(200, "<html>proxy</html>")).ok);
  CHECK_FALSE(splunk_hec::judge_health_answer(answer(0, "")).ok);
}

TEST_CASE("token answers: No data means the token is fine; token and channel codes explained") {
  CHECK(splunk_hec::judge_token_answer(answer(400, R"({"text":"No data","code":5})")).ok);
  auto invalid =
      splunk_hec::judge_token_answer(answer(403, R"({"text":"Invalid token","code":4})"));
  CHECK_FALSE(invalid.ok);
  CHECK(contains(invalid.message, "token"));
  auto channel = splunk_hec::judge_token_answer(
      answer(400, R"({"text":"Data channel is missing","code":10})"));
  CHECK_FALSE(channel.ok);
  CHECK(contains(channel.message, "ack: true"));
}

TEST_CASE("ack answers: enabled, or disabled on the token") {
  CHECK(splunk_hec::judge_ack_answer(answer(200, R"({"acks":{"0":false}})")).ok);
  auto disabled =
      splunk_hec::judge_ack_answer(answer(400, R"({"text":"ACK is disabled","code":14})"));
  CHECK_FALSE(disabled.ok);
  CHECK(contains(disabled.message, "ack"));
}
