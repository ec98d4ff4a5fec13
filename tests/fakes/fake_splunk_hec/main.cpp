// fake_splunk_hec: a Splunk HTTP Event Collector stand-in for tests, with a control port for
// fault injection. See tests/fakes/fake_splunk_hec_handle.h for the C++ side.
#include <CLI/CLI.hpp>

#include "tests/fakes/fake_main.h"
#include "tests/fakes/fake_splunk_hec/hec.h"

int main(int argc, char** argv) {
  using namespace auditrelay::fakes;
  hec::Options options;
  Listening listening;
  CLI::App app{"fake_splunk_hec: a Splunk HTTP Event Collector stand-in for tests"};
  add_listening_options(app, listening);
  app.add_option("--token", options.token, "accept Authorization: Splunk <this>");
  app.add_option("--indexes", options.indexes, "allowed index values, comma-separated");
  app.add_flag("--ack", options.ack, "indexer acknowledgement: channels required, ackIds given");
  app.add_option("--expect-events", options.expect_events,
                 "make room for this many events at start (benchmarks: then the sink's CPU per "
                 "event does not include growing its tables and faulting pages in)");
  CLI11_PARSE(app, argc, argv);

  hec::HecState state(options);
  hec::DataApi data_api(state);
  hec::ControlApi control_api(state);
  return run_fake(
      "fake_splunk_hec", listening,
      FakeServers{.data = [&](const auditrelay::http::Request& r,
                              FakeRespond respond) { data_api.handle(r, respond); },
                  .control = [&](const auditrelay::http::Request& r,
                                 FakeRespond respond) { control_api.handle(r, respond); },
                  .data_connections = &state.data_connections,
                  .go_down = &state.go_down});
}
