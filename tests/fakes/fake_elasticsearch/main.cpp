// fake_elasticsearch: an Elasticsearch 8 stand-in for tests and benchmarks, with a control
// port for fault injection. See tests/fakes/fake_elasticsearch_handle.h for the C++ side.
#include <CLI/CLI.hpp>

#include "tests/fakes/fake_elasticsearch/control_api.h"
#include "tests/fakes/fake_elasticsearch/data_api.h"
#include "tests/fakes/fake_main.h"

int main(int argc, char** argv) {
  using namespace auditrelay::fakes;
  es::Options options;
  Listening listening;
  bool no_builtin_components = false;
  CLI::App app{"fake_elasticsearch: an Elasticsearch 8 stand-in for tests"};
  add_listening_options(app, listening);
  app.add_option("--api-key", options.api_key, "accept Authorization: ApiKey <this>");
  auto* user = app.add_option("--user", options.user, "accept Basic auth for this user");
  app.add_option("--password", options.password, "the password of --user")->needs(user);
  app.add_option("--bearer", options.bearer, "accept Authorization: Bearer <this>");
  app.add_flag("--store-documents", options.store_documents, "keep sources for /_fake/documents");
  app.add_flag("--strict-documents", options.strict_documents,
               "fully parse every source line (default: check it looks like an object)");
  app.add_flag("--no-builtin-components", no_builtin_components,
               "start without the logs@settings and ecs@mappings component templates");
  app.add_option("--expect-documents", options.expect_documents,
                 "make room for this many document ids at start (benchmarks: then the sink's "
                 "CPU per document does not include growing its tables)");
  CLI11_PARSE(app, argc, argv);
  options.builtin_components = !no_builtin_components;

  es::FakeCluster cluster(options);
  es::DataApi data_api(cluster);
  es::ControlApi control_api(cluster);
  return run_fake(
      "fake_elasticsearch", listening,
      FakeServers{.data = [&](const auditrelay::http::Request& r,
                              FakeRespond respond) { data_api.handle(r, respond); },
                  .control = [&](const auditrelay::http::Request& r,
                                 FakeRespond respond) { control_api.handle(r, respond); },
                  .data_connections = &cluster.data_connections,
                  .go_down = &cluster.go_down});
}
