// Runs tests/fakes/fake_splunk_hec as a child process and drives its control port, so a
// test can point the agent at url() (with token()), inject faults and assert on what arrived.
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

class FakeSplunkHec {
 public:
  // Starts the fake in `dir` (port file and logs go there) and waits, with a deadline, for
  // it to listen. `extra_args` are passed on (--token, --ack, --indexes, ...). Throws
  // std::runtime_error when it does not come up.
  explicit FakeSplunkHec(const std::filesystem::path& dir,
                         std::vector<std::string> extra_args = {});
  ~FakeSplunkHec();  // SIGTERM, then SIGKILL if it lingers
  FakeSplunkHec(const FakeSplunkHec&) = delete;
  FakeSplunkHec& operator=(const FakeSplunkHec&) = delete;

  // The token the fake accepts unless --token is given.
  static constexpr const char* kDefaultToken = "00000000-0000-0000-0000-000000000000";

  std::string url() const;  // http://127.0.0.1:PORT
  int port() const { return port_; }
  std::string control_url() const;
  int control_port() const { return control_port_; }
  pid_t pid() const;

  // The control API (see fake_splunk_hec/hec.h). Each throws std::runtime_error
  // on a transport error or an answer other than 200.
  void set_faults(const std::string& json);
  void clear_faults();
  void down(std::chrono::milliseconds ms);
  void reset();  // forgets events, ids, statistics and ack channels
  rapidjson::Document faults();
  rapidjson::Document stats();
  uint64_t indexed();                 // stats()["indexed"]
  std::vector<std::string> ids();     // "<event.id>\t<times indexed>", first-indexed order
  std::vector<std::string> events();  // NDJSON envelopes, the last 100000

  void kill();  // SIGKILL, and wait for it

 private:
  std::string control(const std::string& method, const std::string& path,
                      const std::string& body = "");
  rapidjson::Document control_json(const std::string& path);

  std::filesystem::path dir_;
  std::unique_ptr<test::Process> process_;
  std::unique_ptr<CurlClient> client_;
  int port_ = 0;
  int control_port_ = 0;
};

}  // namespace auditrelay::fakes
