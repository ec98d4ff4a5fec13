#include "plugins/out_elasticsearch/es_probe.h"

#include <doctest/doctest.h>

using namespace auditrelay;
using auditrelay::delivery::HttpResponse;

namespace {

HttpResponse answer(long status, std::string body, std::string error = "") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.error = std::move(error);
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("GET / answers: version and cluster, credentials, privileges, no answer") {
  auto ok = elasticsearch::judge_root_answer(
      answer(200, R"({"cluster_name":"prod","version":{"number":"8.15.0"}})"), true);
  CHECK(ok.ok);
  CHECK(contains(ok.message, "8.15.0"));
  CHECK(contains(ok.message, "prod"));

  auto not_es = elasticsearch::judge_root_answer(answer(200, "<html>hello</html>"), true);
  CHECK_FALSE(not_es.ok);

  auto refused = elasticsearch::judge_root_answer(answer(401, "{}"), true);
  CHECK_FALSE(refused.ok);
  CHECK(contains(refused.message, "credentials"));

  // An API key that may only write gets 403 on GET /: reachable and authenticated is enough.
  auto write_only = elasticsearch::judge_root_answer(
      answer(403, R"({"error":{"type":"security_exception","reason":"unauthorized"}})"), true);
  CHECK(write_only.ok);
  CHECK(contains(write_only.message, "monitor"));

  auto down = elasticsearch::judge_root_answer(answer(0, "", "Couldn't connect to server"), true);
  CHECK_FALSE(down.ok);
  CHECK(contains(down.message, "Couldn't connect to server"));

  auto other = elasticsearch::judge_root_answer(answer(500, "oops"), true);
  CHECK_FALSE(other.ok);
  CHECK(contains(other.message, "500"));
}
