// What every fake receiver's main() shares: the listening options, --exit-with-parent, the
// data and control servers on the default loop, the port file, the down-then-up fault, and a
// clean stop on SIGTERM or SIGINT.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "tests/fakes/fake_http_server.h"

namespace auditrelay::fakes {

struct Listening {
  std::string host = "127.0.0.1";
  int port = 0;          // data port (0: ephemeral)
  int control_port = 0;  // control port (0: ephemeral)
  std::string port_file;
  bool exit_with_parent = false;
  std::string tls_cert;  // with tls_key: the data port serves HTTPS (the control port never)
  std::string tls_key;
};

// Adds --host, --port, --control-port, --port-file, --exit-with-parent, --tls-cert, --tls-key.
void add_listening_options(CLI::App& app, Listening& listening);

// What a fake hands the shared part: its two handlers, and the hooks its control API calls.
struct FakeServers {
  FakeHandler data;
  FakeHandler control;
  std::function<uint64_t()>* data_connections = nullptr;  // set to count accepted connections
  std::function<void(uint64_t ms)>* go_down = nullptr;    // set to the down-then-up fault
};

// Serves until SIGTERM or SIGINT; returns main()'s exit code. `name` prefixes error messages.
int run_fake(const std::string& name, const Listening& listening, FakeServers servers);

}  // namespace auditrelay::fakes
