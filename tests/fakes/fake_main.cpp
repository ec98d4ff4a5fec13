#include "tests/fakes/fake_main.h"

#include <sys/prctl.h>
#include <unistd.h>
#include <uv.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "agent/http/tls.h"
#include "agent/loop/handle.h"

namespace auditrelay::fakes {
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

int serve(const Listening& listening, FakeServers& servers) {
  uv_loop_t* loop = uv_default_loop();
  auto delays = std::make_unique<ResponseDelays>(loop);
  auto data = std::make_unique<http::Server>(loop, delays->wrap(servers.data), kNoLimits);
  auto control = std::make_unique<http::Server>(loop, delays->wrap(servers.control), kNoLimits);
  if (!listening.tls_cert.empty()) {
    data->use_tls(http::TlsContext::load(listening.tls_cert, listening.tls_key));
  }
  int port = data->listen(listening.host, listening.port);
  int control_port = control->listen(listening.host, listening.control_port);

  OneShotTimer reopen(loop);
  std::function<void()> listen_again = [&] {
    try {
      data->listen(listening.host, port);
    } catch (const std::exception&) {
      reopen.start(20, listen_again);  // the port is briefly taken: try again soon
    }
  };
  if (servers.data_connections != nullptr)
    *servers.data_connections = [&] { return data->connections_accepted(); };
  if (servers.go_down != nullptr) {
    *servers.go_down = [&](uint64_t ms) {
      data->stop_listening();
      reopen.start(ms, listen_again);
    };
  }

  std::unique_ptr<SignalWatch> term, interrupt;
  auto stop = [&] {
    data.reset();
    control.reset();
    delays.reset();  // answers held back are dropped
    reopen.close();
    term->close();
    interrupt->close();
  };
  term = std::make_unique<SignalWatch>(loop, SIGTERM, stop);
  interrupt = std::make_unique<SignalWatch>(loop, SIGINT, stop);

  if (!listening.port_file.empty()) write_port_file(listening.port_file, port, control_port);
  std::cout << "listening on " << (data->uses_tls() ? "https" : "http") << "://" << listening.host
            << ":" << port << " control http://" << listening.host << ":" << control_port
            << std::endl;
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return 0;
}

}  // namespace

void add_listening_options(CLI::App& app, Listening& listening) {
  app.add_option("--host", listening.host, "address to listen on");
  app.add_option("--port", listening.port, "data port (0: ephemeral)");
  app.add_option("--control-port", listening.control_port, "control port (0: ephemeral)");
  app.add_option("--port-file", listening.port_file, "write \"<port> <control_port>\" here");
  app.add_flag("--exit-with-parent", listening.exit_with_parent,
               "stop (SIGTERM) when the process that started it dies, so a crashed test "
               "leaves no fake behind");
  auto* cert = app.add_option("--tls-cert", listening.tls_cert,
                              "serve HTTPS on the data port with this PEM certificate");
  auto* key = app.add_option("--tls-key", listening.tls_key, "the PEM private key of --tls-cert");
  cert->needs(key);
  key->needs(cert);
}

int run_fake(const std::string& name, const Listening& listening, FakeServers servers) {
  if (listening.exit_with_parent) {
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return 0;  // the parent died before prctl took effect
  }
  try {
    return serve(listening, servers);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace auditrelay::fakes
