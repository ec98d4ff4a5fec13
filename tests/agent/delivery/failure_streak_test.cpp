#include "agent/delivery/failure_streak.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::delivery;

namespace {

// Logs as JSON lines into a file while alive: the logger writes to file descriptor 2.
class CapturedLog {
 public:
  CapturedLog() : path_(dir_ / "stderr.log") {
    saved_ = ::dup(STDERR_FILENO);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(saved_ >= 0);
    REQUIRE(fd >= 0);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
    configure_logging(LogLevel::kInfo, LogFormat::kJson);
  }
  ~CapturedLog() {
    configure_logging(LogLevel::kInfo, LogFormat::kText);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // The lines logged since the last call.
  std::vector<rapidjson::Document> take() {
    std::vector<std::string> lines = test::read_lines(path_);
    std::vector<rapidjson::Document> fresh;
    for (size_t i = seen_; i < lines.size(); ++i) {
      rapidjson::Document& doc = fresh.emplace_back();
      doc.Parse(lines[i].c_str());
      REQUIRE_MESSAGE(!doc.HasParseError(), lines[i]);
    }
    seen_ = lines.size();
    return fresh;
  }

 private:
  test::TempDir dir_;
  std::filesystem::path path_;
  int saved_ = -1;
  size_t seen_ = 0;
};

std::string field(const rapidjson::Value& line, const char* name) {
  if (!line.HasMember(name)) return "<none>";
  const rapidjson::Value& v = line[name];
  return v.IsString() ? v.GetString() : std::to_string(v.GetInt64());
}

Outcome request_failure(int status, std::string type, std::string alert = "") {
  Outcome o;
  o.verdict = Verdict::kRetry;
  o.status = status;
  o.error_type = std::move(type);
  o.reason = "reason " + std::to_string(status);
  o.alert = std::move(alert);
  return o;
}

const std::string kAlert401 = "Elasticsearch refused the credentials (HTTP 401)";
const std::string kAlert403 = "Elasticsearch denied the request (HTTP 403)";

}  // namespace

TEST_CASE("the first failure of a streak is logged, the others not, and the recovery once") {
  CapturedLog log;
  Logger logger("output[es]");
  FailureStreak streak(logger);
  streak.succeeded();  // no streak: nothing to say
  CHECK(log.take().empty());

  Outcome busy = request_failure(503, "unavailable_shards_exception");
  busy.retry_after = "7";
  streak.failed(busy);
  auto first = log.take();
  REQUIRE(first.size() == 1);
  CHECK(field(first[0], "level") == "warn");
  CHECK(field(first[0], "component") == "output[es]");
  CHECK(field(first[0], "status") == "503");
  CHECK(field(first[0], "error_type") == "unavailable_shards_exception");
  CHECK(field(first[0], "reason") == "reason 503");
  CHECK(field(first[0], "retry_after") == "7");
  for (int i = 0; i < 5; ++i)
    streak.failed(request_failure(429, "es_rejected_execution_exception"));
  CHECK(log.take().empty());

  streak.succeeded();
  auto recovered = log.take();
  REQUIRE(recovered.size() == 1);
  CHECK(field(recovered[0], "level") == "info");
  CHECK(field(recovered[0], "msg") == "delivering again");
  CHECK(field(recovered[0], "failed_attempts") == "6");
  streak.succeeded();
  CHECK(log.take().empty());

  // A new streak is logged again.
  streak.failed(busy);
  CHECK(log.take().size() == 1);
}

TEST_CASE("the attempt logged names the first item retried, if the response had items") {
  CapturedLog log;
  Logger logger("output[es]");
  FailureStreak streak(logger);
  Outcome partly;
  partly.status = 200;
  partly.items = {ItemOutcome{Verdict::kDelivered, 201, "", ""},
                  ItemOutcome{Verdict::kRejected, 400, "mapper_parsing_exception", "bad"},
                  ItemOutcome{Verdict::kRetry, 429, "es_rejected_execution_exception", "busy"},
                  ItemOutcome{Verdict::kRetry, 500, "illegal_state_exception", "broken"}};
  REQUIRE(first_retried(partly) == &partly.items[2]);
  streak.failed(partly);
  auto lines = log.take();
  REQUIRE(lines.size() == 1);
  CHECK(field(lines[0], "status") == "429");
  CHECK(field(lines[0], "error_type") == "es_rejected_execution_exception");
  CHECK(field(lines[0], "reason") == "busy");
  partly.items.resize(2);
  CHECK(first_retried(partly) == nullptr);
}

TEST_CASE("an alert (401/403/404) is logged once per streak, and again when it changes") {
  CapturedLog log;
  Logger logger("output[es]");
  FailureStreak streak(logger);

  for (int i = 0; i < 3; ++i)
    streak.failed(request_failure(401, "security_exception", kAlert401));
  auto first = log.take();
  REQUIRE(first.size() == 2);  // the alert, then the attempt
  CHECK(field(first[0], "level") == "error");
  CHECK(field(first[0], "msg") == kAlert401);
  CHECK(field(first[0], "status") == "401");
  CHECK(field(first[1], "level") == "warn");
  CHECK(field(first[1], "status") == "401");

  // The operator fixed the credentials, but the privileges are missing: a new alert.
  streak.failed(request_failure(403, "security_exception", kAlert403));
  auto changed = log.take();
  REQUIRE(changed.size() == 2);
  CHECK(field(changed[0], "msg") == kAlert403);
  CHECK(field(changed[0], "status") == "403");
  streak.failed(request_failure(403, "security_exception", kAlert403));
  CHECK(log.take().empty());
  // Failures without an alert in between change nothing; back to the first alert: logged.
  streak.failed(request_failure(503, "unavailable_shards_exception"));
  CHECK(log.take().empty());
  streak.failed(request_failure(401, "security_exception", kAlert401));
  auto back = log.take();
  REQUIRE(back.size() == 2);
  CHECK(field(back[0], "msg") == kAlert401);

  streak.succeeded();
  auto recovered = log.take();
  REQUIRE(recovered.size() == 1);
  CHECK(field(recovered[0], "msg") == "delivering again");
  CHECK(field(recovered[0], "failed_attempts") == "7");
  // The same alert in a new streak is logged again.
  streak.failed(request_failure(401, "security_exception", kAlert401));
  CHECK(log.take().size() == 2);
}

TEST_CASE("a streak sets the output's health condition with the latest error; success clears") {
  Health health(HealthSettings{.output_failing_after = std::chrono::milliseconds(0)});
  Health::Condition& condition = health.condition("output es", Health::Kind::kOutputFailing);
  Logger logger("output[es]");
  FailureStreak streak(logger, &condition);
  CapturedLog log;  // keeps the test's output quiet
  auto reasons = [&] { return health.report().reasons; };

  streak.failed(request_failure(503, "unavailable_shards_exception"));
  REQUIRE(reasons().size() == 1);
  CHECK(reasons()[0].find("output es: failing for") == 0);
  CHECK(reasons()[0].find("unavailable_shards_exception: reason 503") != std::string::npos);
  // Not logged again, but the reason follows the latest failure; an alert wins over the rest.
  streak.failed(request_failure(401, "security_exception", kAlert401));
  REQUIRE(reasons().size() == 1);
  CHECK(reasons()[0].find(kAlert401) != std::string::npos);
  Outcome partly;
  partly.items = {ItemOutcome{Verdict::kRetry, 429, "es_rejected_execution_exception", "busy"}};
  streak.failed(partly);
  REQUIRE(reasons().size() == 1);
  CHECK(reasons()[0].find("es_rejected_execution_exception: busy") != std::string::npos);

  streak.succeeded();
  CHECK(health.report().ok);
  CHECK(reasons().empty());
}
