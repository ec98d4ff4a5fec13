// The data port: the Elasticsearch REST API as the agent and its `setup` command see it
// (cluster info, _bulk, index templates, ILM policies, component templates).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tests/fakes/fake_elasticsearch/cluster.h"
#include "tests/fakes/http_server.h"

namespace auditrelay::fakes::es {

class DataApi {
 public:
  explicit DataApi(FakeCluster& cluster) : cluster_(cluster) {}
  void handle(const FakeRequest& request, const HttpServer::Respond& respond);

 private:
  FakeResponse route(const FakeRequest& request, const std::vector<std::string_view>& segments,
                     const FilterPath& filter);
  FakeResponse bulk(const FakeRequest& request, std::string_view target, const FilterPath& filter,
                    uint64_t* items);
  FakeResponse cluster_info(const FakeRequest& request, const FilterPath& filter);
  // templates_api.cpp
  FakeResponse index_template(const FakeRequest& request, std::string_view name,
                              const FilterPath& filter);
  FakeResponse lifecycle_policy(const FakeRequest& request, std::string_view name,
                                const FilterPath& filter);
  FakeResponse component_template(const FakeRequest& request, std::string_view name,
                                  const FilterPath& filter);

  FakeCluster& cluster_;
};

// Shared by the APIs: "Incorrect HTTP method" (405 with an Allow header).
FakeResponse method_not_allowed(const FakeRequest& request, std::string_view allowed);

}  // namespace auditrelay::fakes::es
