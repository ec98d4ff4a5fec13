#include "tests/fakes/fake_splunk_hec_handle.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/fakes/curl_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::fakes {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

FakeSplunkHec::FakeSplunkHec(const std::filesystem::path& dir, std::vector<std::string> extra_args)
    : dir_(dir), client_(std::make_unique<CurlClient>()) {
  auto port_file = dir / "fake_splunk_hec.ports";
  std::filesystem::remove(port_file);
  std::vector<std::string> argv{AUDITRELAY_FAKE_SPLUNK_HEC, "--port-file", port_file.string(),
                                "--exit-with-parent"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<test::Process>(argv, dir / "fake_splunk_hec.stdout",
                                             dir / "fake_splunk_hec.stderr");
  // The file appears whole (written, then renamed) once both ports listen.
  bool up =
      test::wait_until([&] { return std::filesystem::exists(port_file) || !process_->running(); },
                       std::chrono::seconds(10));
  std::ifstream in(port_file);
  if (!up || !(in >> port_ >> control_port_)) {
    std::string err = test::read_file(dir / "fake_splunk_hec.stderr");
    process_.reset();
    throw std::runtime_error("fake_splunk_hec did not start: " + err);
  }
}

FakeSplunkHec::~FakeSplunkHec() {
  if (process_ && process_->running()) {
    process_->signal(SIGTERM);
    if (!process_->wait(std::chrono::seconds(5))) process_->signal(SIGKILL);
  }
}

std::string FakeSplunkHec::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string FakeSplunkHec::control_url() const {
  return "http://127.0.0.1:" + std::to_string(control_port_);
}

pid_t FakeSplunkHec::pid() const {
  return process_->pid();
}

std::string FakeSplunkHec::control(const std::string& method, const std::string& path,
                                   const std::string& body) {
  auto result =
      client_->request(method, control_url() + path, body, {"Content-Type: application/json"});
  if (result.code != CURLE_OK)
    throw std::runtime_error("fake_splunk_hec control " + path + ": " +
                             curl_easy_strerror(result.code));
  if (result.status != 200)
    throw std::runtime_error("fake_splunk_hec control " + path + ": " +
                             std::to_string(result.status) + " " + result.body);
  return std::move(result.body);
}

rapidjson::Document FakeSplunkHec::control_json(const std::string& path) {
  std::string body = control("GET", path);
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) throw std::runtime_error("fake_splunk_hec: bad JSON from " + path);
  return doc;
}

void FakeSplunkHec::set_faults(const std::string& json) {
  control("POST", "/_fake/faults", json);
}

void FakeSplunkHec::clear_faults() {
  control("POST", "/_fake/faults/clear");
}

void FakeSplunkHec::down(std::chrono::milliseconds ms) {
  control("POST", "/_fake/down", "{\"ms\":" + std::to_string(ms.count()) + "}");
}

void FakeSplunkHec::reset() {
  control("POST", "/_fake/reset");
}

rapidjson::Document FakeSplunkHec::stats() {
  return control_json("/_fake/stats");
}

uint64_t FakeSplunkHec::indexed() {
  return stats()["indexed"].GetUint64();
}

std::vector<std::string> FakeSplunkHec::ids() {
  return lines_of(control("GET", "/_fake/ids"));
}

std::vector<std::string> FakeSplunkHec::events() {
  return lines_of(control("GET", "/_fake/events"));
}

rapidjson::Document FakeSplunkHec::faults() {
  return control_json("/_fake/faults");
}

void FakeSplunkHec::kill() {
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(5));
}

}  // namespace auditrelay::fakes
