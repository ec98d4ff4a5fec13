// Runs tests/fakes/fake_webhook (Node.js, verifying with the official `standardwebhooks`
// package) as a child process and drives its control port, so a test can point the webhook
// output at url(), inject faults and assert on what arrived.
#pragma once

#include "tests/fakes/fake_receiver.h"

namespace auditrelay::fakes {

class FakeWebhook : public FakeReceiver {
 public:
  // `extra_args` are passed on (--secret, repeatable; --path); see FakeReceiver.
  explicit FakeWebhook(const std::filesystem::path& dir, std::vector<std::string> extra_args = {});

  // The secret the fake accepts unless --secret is given: the Standard Webhooks spec's example.
  static constexpr const char* kDefaultSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

  // The control API (see tests/fakes/README.md).
  rapidjson::Document faults();
  std::vector<std::string> ids();     // "<webhook-id>\t<times delivered>", first-delivered order
  std::vector<std::string> events();  // NDJSON records, the last 100000
};

}  // namespace auditrelay::fakes
