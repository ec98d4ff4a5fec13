// Runs tests/fakes/fake_splunk_hec as a child process and drives its control port, so a test
// can point the agent at url(), inject faults and assert on what arrived.
#pragma once

#include "tests/fakes/fake_receiver.h"

namespace auditrelay::fakes {

class FakeSplunkHec : public FakeReceiver {
 public:
  // `extra_args` are passed on (--token, --ack, --indexes, ...); see FakeReceiver.
  explicit FakeSplunkHec(const std::filesystem::path& dir,
                         std::vector<std::string> extra_args = {});

  // The token the fake accepts unless --token is given.
  static constexpr const char* kDefaultToken = "00000000-0000-0000-0000-000000000000";

  // The control API (see fake_splunk_hec/hec.h); reset() also forgets ack channels.
  rapidjson::Document faults();
  std::vector<std::string> ids();     // "<event.id>\t<times indexed>", first-indexed order
  std::vector<std::string> events();  // NDJSON envelopes, the last 100000
};

}  // namespace auditrelay::fakes
