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

std::vector<std::pair<std::string, std::string>> FakeElasticsearch::last_bulk_headers() {
  rapidjson::Document doc = control_json("/_fake/last_bulk_headers");
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& pair : doc.GetArray())
    headers.emplace_back(pair[0].GetString(), pair[1].GetString());
  return headers;
}

}  // namespace auditrelay::fakes
