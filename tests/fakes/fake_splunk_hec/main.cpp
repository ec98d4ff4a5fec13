// fake_splunk_hec: a Splunk HTTP Event Collector stand-in for tests, with a control port for
// fault injection. See tests/fakes/fake_splunk_hec_handle.h for the C++ side.
#include <sys/prctl.h>
#include <unistd.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>

#include "agent/loop/handle.h"
#include "tests/fakes/fake_splunk_hec/hec.h"
#include "tests/fakes/http_server.h"

namespace auditrelay::fakes::hec {
namespace {

class OneShotTimer : public loop::Handle<uv_timer_t> {
 public:
  explicit OneShotTimer(uv_loop_t* loop) {
    uv_timer_init(loop, raw());
    mark_initialized();
  }
  void start(uint64_t ms, std::function<void()> fn) {
    fn_ = std::move(fn);
    uv_timer_start(
        raw(),
        [](uv_timer_t* h) {
          auto* t = self<OneShotTimer>(h);
          if (t == nullptr) return;
          auto call = t->fn_;  // it may restart the timer, replacing fn_
          call();
        },
        ms, 0);
  }

 private:
  std::function<void()> fn_;
};

class SignalWatch : public loop::Handle<uv_signal_t> {
 public:
  SignalWatch(uv_loop_t* loop, int signum, std::function<void()> fn) : fn_(std::move(fn)) {
    uv_signal_init(loop, raw());
    mark_initialized();
    uv_signal_start(
        raw(),
        [](uv_signal_t* h, int) {
          if (auto* s = self<SignalWatch>(h)) s->fn_();
        },
        signum);
  }

 private:
  std::function<void()> fn_;
};

void write_port_file(const std::string& path, int port, int control_port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << ' ' << control_port << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);  // readers never see a half-written file
}

int run(const Options& options) {
  uv_loop_t* loop = uv_default_loop();
  HecState state(options);
  DataApi data_api(state);
  ControlApi control_api(state);
  auto data = std::make_unique<HttpServer>(
      loop,
      [&](const FakeRequest& r, HttpServer::Respond respond) { data_api.handle(r, respond); });
  auto control = std::make_unique<HttpServer>(
      loop,
      [&](const FakeRequest& r, HttpServer::Respond respond) { control_api.handle(r, respond); });
  int port = data->listen(options.host, options.port);
  int control_port = control->listen(options.host, options.control_port);

  OneShotTimer reopen(loop);
  std::function<void()> listen_again = [&] {
    try {
      data->listen(options.host, port);
    } catch (const std::exception&) {
      reopen.start(20, listen_again);  // the port is briefly taken: try again soon
    }
  };
  state.data_connections = [&] { return data->connections_accepted(); };
  state.go_down = [&](uint64_t ms) {
    data->stop_listening();
    reopen.start(ms, listen_again);
  };

  std::unique_ptr<SignalWatch> term, interrupt;
  auto stop = [&] {
    data.reset();
    control.reset();
    reopen.close();
    term->close();
    interrupt->close();
  };
  term = std::make_unique<SignalWatch>(loop, SIGTERM, stop);
  interrupt = std::make_unique<SignalWatch>(loop, SIGINT, stop);

  if (!options.port_file.empty()) write_port_file(options.port_file, port, control_port);
  std::cout << "listening on http://" << options.host << ":" << port << " control http://"
            << options.host << ":" << control_port << std::endl;
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return 0;
}

}  // namespace
}  // namespace auditrelay::fakes::hec

int main(int argc, char** argv) {
  using auditrelay::fakes::hec::Options;
  Options options;
  CLI::App app{"fake_splunk_hec: a Splunk HTTP Event Collector stand-in for tests"};
  app.add_option("--host", options.host, "address to listen on");
  app.add_option("--port", options.port, "data port (0: ephemeral)");
  app.add_option("--control-port", options.control_port, "control port (0: ephemeral)");
  app.add_option("--port-file", options.port_file, "write \"<port> <control_port>\" here");
  app.add_option("--token", options.token, "accept Authorization: Splunk <this>");
  app.add_option("--indexes", options.indexes, "allowed index values, comma-separated");
  app.add_flag("--ack", options.ack, "indexer acknowledgement: channels required, ackIds given");
  bool exit_with_parent = false;
  app.add_flag("--exit-with-parent", exit_with_parent,
               "stop (SIGTERM) when the process that started it dies, so a crashed test "
               "leaves no fake behind");
  CLI11_PARSE(app, argc, argv);
  if (exit_with_parent) {
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return 0;  // the parent died before prctl took effect
  }
  try {
    return auditrelay::fakes::hec::run(options);
  } catch (const std::exception& e) {
    std::cerr << "fake_splunk_hec: " << e.what() << std::endl;
    return 1;
  }
}
