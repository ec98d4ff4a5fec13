// The state of one fake Elasticsearch process, shared by its data and control APIs. Both
// run on the same loop thread, so nothing here is locked.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "tests/fakes/fake_elasticsearch/bulk.h"
#include "tests/fakes/fake_elasticsearch/faults.h"
#include "tests/fakes/fake_elasticsearch/request_checks.h"
#include "tests/fakes/fake_elasticsearch/stats.h"
#include "tests/fakes/fake_elasticsearch/store.h"

namespace auditrelay::fakes::es {

struct Options {  // the listening options are tests/fakes/fake_main.h's
  std::string api_key;
  std::string user;
  std::string password;
  std::string bearer;
  bool store_documents = false;
  bool strict_documents = false;
  bool builtin_components = true;
  size_t expect_documents = 0;
};

struct FakeCluster {
  explicit FakeCluster(const Options& o)
      : options(o),
        store(o.store_documents, o.builtin_components),
        bulk(store, stats, faults, random, o.strict_documents),
        credentials(o.api_key, o.user, o.password, o.bearer) {
    random.seed(faults.seed);
    store.expect_documents(o.expect_documents);
  }

  Options options;
  ClusterStore store;
  Stats stats;
  Faults faults;
  Random random;
  BulkProcessor bulk;
  Credentials credentials;
  std::string inflated;  // reused buffer for decompressed bodies
  // Set by main: connections accepted on the data port, and the down-then-up fault.
  std::function<uint64_t()> data_connections;
  std::function<void(uint64_t ms)> go_down;
};

}  // namespace auditrelay::fakes::es
