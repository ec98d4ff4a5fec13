#include "tests/fakes/fake_elasticsearch_handle.h"

namespace auditrelay::fakes {

FakeElasticsearch::FakeElasticsearch(const std::filesystem::path& dir,
                                     std::vector<std::string> extra_args)
    : FakeReceiver(AUDITRELAY_FAKE_ELASTICSEARCH, "fake_elasticsearch", dir,
                   std::move(extra_args)) {}

std::vector<std::string> FakeElasticsearch::ids() {
  return control_lines("/_fake/ids");
}

std::vector<std::string> FakeElasticsearch::documents() {
  return control_lines("/_fake/documents");
}

rapidjson::Document FakeElasticsearch::requests() {
  return control_json("/_fake/requests");
}

}  // namespace auditrelay::fakes
