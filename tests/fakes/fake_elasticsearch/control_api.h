// The control port, for tests only: sets faults, takes the data port down, and reports what
// the fake received (stats, ids, documents, recent bulk requests). JSON in and out.
#pragma once

#include "tests/fakes/fake_elasticsearch/cluster.h"
#include "tests/fakes/fake_http_server.h"

namespace auditrelay::fakes::es {

class ControlApi {
 public:
  explicit ControlApi(FakeCluster& cluster) : cluster_(cluster) {}
  void handle(const http::Request& request, const FakeRespond& respond);

 private:
  FakeResponse route(const http::Request& request);

  FakeCluster& cluster_;
};

}  // namespace auditrelay::fakes::es
