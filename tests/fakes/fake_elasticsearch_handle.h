// Runs tests/fakes/fake_elasticsearch as a child process and drives its control port, so a
// test can point the agent at url(), inject faults and assert on what arrived.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/fake_receiver.h"

namespace auditrelay::fakes {

class FakeElasticsearch : public FakeReceiver {
 public:
  // `extra_args` are passed on (--api-key, --store-documents, ...); see FakeReceiver.
  explicit FakeElasticsearch(const std::filesystem::path& dir,
                             std::vector<std::string> extra_args = {});

  // The control API (see fake_elasticsearch/control_api.h).
  std::vector<std::string> ids();        // "<index>\t<id>", in no particular order
  std::vector<std::string> documents();  // NDJSON lines; needs --store-documents
  rapidjson::Document requests();        // the recent bulk requests
  // The headers of the last bulk request, as received: (name, value) in order.
  std::vector<std::pair<std::string, std::string>> last_bulk_headers();
};

}  // namespace auditrelay::fakes
