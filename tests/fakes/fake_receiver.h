// A fake receiver (tests/fakes/fake_*) run as a child process: starts it, learns its ports
// from the port file, and drives the control API every fake shares (/_fake/faults, down,
// reset, stats). FakeElasticsearch and FakeSplunkHec add what is theirs.
#pragma once

#include <rapidjson/document.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace auditrelay::test {
class Process;
}

namespace auditrelay::fakes {

class CurlClient;

class FakeReceiver {
 public:
  ~FakeReceiver();  // SIGTERM, then SIGKILL if it lingers
  FakeReceiver(const FakeReceiver&) = delete;
  FakeReceiver& operator=(const FakeReceiver&) = delete;

  std::string url() const;  // http://127.0.0.1:PORT, or https:// when started with --tls-cert
  int port() const { return port_; }
  std::string control_url() const;
  int control_port() const { return control_port_; }
  pid_t pid() const;

  // The control API. Each throws std::runtime_error on a transport error or an answer other
  // than 200.
  void set_faults(const std::string& json);
  void clear_faults();
  void down(std::chrono::milliseconds ms);
  void reset();  // forgets what was received and the statistics
  rapidjson::Document stats();
  uint64_t indexed();  // stats()["indexed"]

  void kill();  // SIGKILL, and wait for it

 protected:
  // Starts `binary` (named `name` in file names and errors) in `dir` and waits, with a
  // deadline, for it to listen. Throws std::runtime_error when it does not come up.
  FakeReceiver(std::string binary, std::string name, const std::filesystem::path& dir,
               std::vector<std::string> extra_args);

  std::string control(const std::string& method, const std::string& path,
                      const std::string& body = "");
  rapidjson::Document control_json(const std::string& path);
  std::vector<std::string> control_lines(const std::string& path);  // non-empty lines

 private:
  std::string name_;
  std::unique_ptr<test::Process> process_;
  std::unique_ptr<CurlClient> client_;
  int port_ = 0;
  int control_port_ = 0;
  bool https_ = false;
};

}  // namespace auditrelay::fakes
