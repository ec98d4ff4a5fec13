#include "tests/fakes/fake_receiver.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/fakes/curl_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::fakes {

FakeReceiver::FakeReceiver(std::string binary, std::string name, const std::filesystem::path& dir,
                           std::vector<std::string> extra_args)
    : name_(std::move(name)),
      client_(std::make_unique<CurlClient>()),
      https_(std::find(extra_args.begin(), extra_args.end(), "--tls-cert") != extra_args.end()) {
  auto port_file = dir / (name_ + ".ports");
  std::filesystem::remove(port_file);
  std::vector<std::string> argv{std::move(binary), "--port-file", port_file.string(),
                                "--exit-with-parent"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ =
      std::make_unique<test::Process>(argv, dir / (name_ + ".stdout"), dir / (name_ + ".stderr"));
  // The file appears whole (written, then renamed) once both ports listen.
  bool up =
      test::wait_until([&] { return std::filesystem::exists(port_file) || !process_->running(); },
                       std::chrono::seconds(10));
  std::ifstream in(port_file);
  if (!up || !(in >> port_ >> control_port_)) {
    std::string err = test::read_file(dir / (name_ + ".stderr"));
    process_.reset();
    throw std::runtime_error(name_ + " did not start: " + err);
  }
}

FakeReceiver::~FakeReceiver() {
  if (process_ && process_->running()) {
    process_->signal(SIGTERM);
    if (!process_->wait(std::chrono::seconds(5))) process_->signal(SIGKILL);
  }
}

std::string FakeReceiver::url() const {
  return (https_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

std::string FakeReceiver::control_url() const {
  return "http://127.0.0.1:" + std::to_string(control_port_);
}

pid_t FakeReceiver::pid() const {
  return process_->pid();
}

std::string FakeReceiver::control(const std::string& method, const std::string& path,
                                  const std::string& body) {
  auto result =
      client_->request(method, control_url() + path, body, {"Content-Type: application/json"});
  if (result.code != CURLE_OK) {
    throw std::runtime_error(name_ + " control " + path + ": " + curl_easy_strerror(result.code));
  }
  if (result.status != 200) {
    throw std::runtime_error(name_ + " control " + path + ": " + std::to_string(result.status) +
                             " " + result.body);
  }
  return std::move(result.body);
}

rapidjson::Document FakeReceiver::control_json(const std::string& path) {
  std::string body = control("GET", path);
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) throw std::runtime_error(name_ + ": bad JSON from " + path);
  return doc;
}

std::vector<std::string> FakeReceiver::control_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(control("GET", path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

void FakeReceiver::set_faults(const std::string& json) {
  control("POST", "/_fake/faults", json);
}

void FakeReceiver::clear_faults() {
  control("POST", "/_fake/faults/clear");
}

void FakeReceiver::down(std::chrono::milliseconds ms) {
  control("POST", "/_fake/down", "{\"ms\":" + std::to_string(ms.count()) + "}");
}

void FakeReceiver::reset() {
  control("POST", "/_fake/reset");
}

rapidjson::Document FakeReceiver::stats() {
  return control_json("/_fake/stats");
}

uint64_t FakeReceiver::indexed() {
  return stats()["indexed"].GetUint64();
}

void FakeReceiver::kill() {
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(5));
}

}  // namespace auditrelay::fakes
