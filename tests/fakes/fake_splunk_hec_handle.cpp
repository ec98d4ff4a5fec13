#include "tests/fakes/fake_splunk_hec_handle.h"

namespace auditrelay::fakes {

FakeSplunkHec::FakeSplunkHec(const std::filesystem::path& dir, std::vector<std::string> extra_args)
    : FakeReceiver(AUDITRELAY_FAKE_SPLUNK_HEC, "fake_splunk_hec", dir, std::move(extra_args)) {}

rapidjson::Document FakeSplunkHec::faults() {
  return control_json("/_fake/faults");
}

std::vector<std::string> FakeSplunkHec::ids() {
  return control_lines("/_fake/ids");
}

std::vector<std::string> FakeSplunkHec::events() {
  return control_lines("/_fake/events");
}

}  // namespace auditrelay::fakes
