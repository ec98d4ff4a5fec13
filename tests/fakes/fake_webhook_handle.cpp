#include "tests/fakes/fake_webhook_handle.h"

namespace auditrelay::fakes {

FakeWebhook::FakeWebhook(const std::filesystem::path& dir, std::vector<std::string> extra_args)
    : FakeReceiver(AUDITRELAY_FAKE_WEBHOOK, "fake_webhook", dir, std::move(extra_args)) {}

rapidjson::Document FakeWebhook::faults() {
  return control_json("/_fake/faults");
}

std::vector<std::string> FakeWebhook::ids() {
  return control_lines("/_fake/ids");
}

std::vector<std::string> FakeWebhook::events() {
  return control_lines("/_fake/events");
}

}  // namespace auditrelay::fakes
