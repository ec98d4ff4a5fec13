// The data port: the Elasticsearch REST API as the agent and its `setup` command see it
// (cluster info, _bulk, index templates, ILM policies, component templates).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tests/fakes/fake_elasticsearch/cluster.h"
#include "tests/fakes/fake_http_server.h"

namespace auditrelay::fakes::es {

class DataApi {
 public:
  explicit DataApi(FakeCluster& cluster) : cluster_(cluster) {}
  void handle(const http::Request& request, const FakeRespond& respond);

 private:
  FakeResponse route(const http::Request& request, const std::vector<std::string_view>& segments,
                     const FilterPath& filter);
  FakeResponse bulk(const http::Request& request, std::string_view target, const FilterPath& filter,
                    uint64_t* items);
  FakeResponse cluster_info(const http::Request& request, const FilterPath& filter);
  // templates_api.cpp
  FakeResponse index_template(const http::Request& request, std::string_view name,
                              const FilterPath& filter);
  FakeResponse lifecycle_policy(const http::Request& request, std::string_view name,
                                const FilterPath& filter);
  FakeResponse component_template(const http::Request& request, std::string_view name,
                                  const FilterPath& filter);

  FakeCluster& cluster_;
};

// Shared by the APIs: "Incorrect HTTP method" (405 with an Allow header).
FakeResponse method_not_allowed(const http::Request& request, std::string_view allowed);

}  // namespace auditrelay::fakes::es
