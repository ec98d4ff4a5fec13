#include "plugins/out_splunk_hec/hec_ack.h"

#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::splunk_hec;
using delivery::Outcome;
using delivery::Verdict;

namespace {

using Clock = PendingAcks::Clock;

void run(const PendingAcks::Actions& actions) {
  for (const auto& action : actions)
    action();
}

// Records what each request was settled with, by name.
struct Settled {
  std::map<std::string, Outcome> outcomes;
  PendingAcks::Done done(const std::string& name) {
    return [this, name](Outcome o) { outcomes.emplace(name, std::move(o)); };
  }
};

}  // namespace

TEST_CASE("a channel is a version 4 GUID, kept across restarts") {
  std::string guid = random_guid();
  REQUIRE(guid.size() == 36);
  CHECK(guid[8] == '-');
  CHECK(guid[14] == '4');
  CHECK(std::string("89ab").find(guid[19]) != std::string::npos);
  CHECK(random_guid() != guid);

  test::TempDir dir;
  const auto file = dir / "hec_channel";
  std::string channel = load_or_create_channel(file);
  CHECK(load_or_create_channel(file) == channel);
  std::ofstream(file) << "not a guid\n";
  std::string replaced = load_or_create_channel(file);
  CHECK(replaced != channel);
  CHECK(replaced.size() == 36);
  CHECK(load_or_create_channel(file) == replaced);
  CHECK_THROWS_WITH(load_or_create_channel(dir / "missing" / "dir" / "hec_channel"),
                    doctest::Contains("cannot keep the HEC channel"));
}

TEST_CASE("ackId of an event response; acknowledged ids of an ack response") {
  CHECK(ack_id_of(R"({"text":"Success","code":0,"ackId":7})") == 7u);
  CHECK(!ack_id_of(R"({"text":"Success","code":0})"));
  CHECK(!ack_id_of(R"({"ackId":"7"})"));
  CHECK(!ack_id_of("not json"));

  auto ids = acknowledged_ids(R"({"acks":{"0":true,"1":false,"12":true,"x":true}})");
  REQUIRE(ids);
  CHECK(std::set<uint64_t>(ids->begin(), ids->end()) == std::set<uint64_t>{0, 12});
  CHECK(acknowledged_ids(R"({"acks":{}})")->empty());
  CHECK(!acknowledged_ids(R"({"text":"ACK is disabled","code":14})"));
  CHECK(!acknowledged_ids("<html>"));
}

TEST_CASE("pending acks: delivered when acknowledged, sent again after the timeout") {
  PendingAcks pending;
  Settled settled;
  const Clock::time_point t0{};
  run(pending.add(0, settled.done("a"), t0));
  run(pending.add(1, settled.done("b"), t0 + std::chrono::seconds(1)));
  run(pending.add(2, settled.done("c"), t0 + std::chrono::seconds(2)));
  CHECK(pending.poll_body() == R"({"acks":[0,1,2]})");

  size_t count = 0;
  run(pending.acknowledged({1, 9}, &count));  // 9: not ours
  CHECK(count == 1);
  REQUIRE(settled.outcomes.count("b") == 1);
  CHECK(settled.outcomes["b"].verdict == Verdict::kDelivered);
  CHECK(pending.size() == 2);

  run(pending.expire(t0 + std::chrono::milliseconds(1500), std::chrono::seconds(1), &count));
  CHECK(count == 1);  // a, sent at t0; c is younger than the timeout
  REQUIRE(settled.outcomes.count("a") == 1);
  CHECK(settled.outcomes["a"].verdict == Verdict::kRetry);
  CHECK(settled.outcomes["a"].error_type == "ack_timeout");
  CHECK(pending.poll_body() == R"({"acks":[2]})");

  run(pending.acknowledged({0}, &count));  // too late: already given up on
  CHECK(count == 0);
  CHECK(settled.outcomes.size() == 2);
}

TEST_CASE("an ackId given again (HEC restarted) sends the earlier request again") {
  PendingAcks pending;
  Settled settled;
  run(pending.add(0, settled.done("old"), Clock::time_point{}));
  run(pending.add(0, settled.done("new"), Clock::time_point{}));
  REQUIRE(settled.outcomes.count("old") == 1);
  CHECK(settled.outcomes["old"].verdict == Verdict::kRetry);
  CHECK(pending.size() == 1);
  run(pending.acknowledged({0}));
  CHECK(settled.outcomes["new"].verdict == Verdict::kDelivered);
  CHECK(pending.empty());
}
