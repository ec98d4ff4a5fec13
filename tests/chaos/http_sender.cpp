#include "tests/chaos/http_sender.h"

#include <random>

#include "tests/fakes/curl_client.h"

namespace auditrelay::chaos {
namespace {

using Clock = std::chrono::steady_clock;

int64_t to_ns(Clock::time_point t) {
  return t.time_since_epoch().count();
}

// Retry-After in seconds (the agent sends "1"); anything else waits a second.
std::chrono::milliseconds retry_after(const fakes::HttpResult& r) {
  std::string value = r.header("Retry-After");
  int seconds = value.empty() ? 1 : std::atoi(value.c_str());
  return std::chrono::milliseconds(1000 * std::max(seconds, 0));
}

}  // namespace

HttpSender::HttpSender(AgentRunner& agent, Ledger& ledger, std::string prefix, uint32_t seed,
                       double records_per_second, int records_per_body)
    : agent_(agent),
      ledger_(ledger),
      factory_(std::move(prefix), seed),
      shape_random_(seed),
      records_per_second_(records_per_second),
      records_per_body_(records_per_body) {}

HttpSender::~HttpSender() {
  stopping_ = true;
  deadline_ns_ = 0;
  if (thread_.joinable()) thread_.join();
}

void HttpSender::start() {
  thread_ = std::thread([this] { run(); });
}

void HttpSender::finish(Clock::time_point deadline) {
  deadline_ns_ = to_ns(deadline);
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

HttpSenderStats HttpSender::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::string HttpSender::make_body(std::vector<std::string>& markers,
                                  std::vector<std::string>& headers) {
  int shape = std::uniform_int_distribution<int>(0, 3)(shape_random_);
  std::string body = shape == 1 ? "[" : "";
  for (int i = 0; i < records_per_body_; ++i) {
    RecordFactory::Record r = factory_.next();
    markers.push_back(r.marker);
    if (shape == 1) {
      body += (i > 0 ? ",\n" : "") + r.line;
    } else {
      body += r.line + "\n";
    }
  }
  if (shape == 1) {
    body += "]";
    headers = {"Content-Type: application/json"};
  } else if (shape == 2) {
    body = fakes::gzip(body);
    headers = {"Content-Type: application/x-ndjson", "Content-Encoding: gzip"};
  } else {
    headers = {"Content-Type: application/x-ndjson"};
  }
  return body;
}

bool HttpSender::deliver(const std::string& body, const std::vector<std::string>& headers) {
  fakes::CurlClient client;
  bool refresh = false;
  while (to_ns(Clock::now()) < deadline_ns_.load()) {
    std::string url = agent_.http_url(refresh);
    if (url.empty()) {  // down or restarting: wait for it
      refresh = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    // Long enough for a buffer waiting for disk space (the pipeline backs off up to 30 s).
    const auto sent = Clock::now();
    fakes::HttpResult r = client.request("POST", url, body, headers, 60'000);
    note_answer_time(Clock::now() - sent);
    if (r.code != CURLE_OK) {
      std::lock_guard lock(mu_);
      ++stats_.resent_after_error;
      refresh = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    refresh = false;
    if (r.status >= 200 && r.status < 300) return true;
    if (r.status == 503) {
      {
        std::lock_guard lock(mu_);
        ++stats_.refused_503;
      }
      std::this_thread::sleep_for(retry_after(r));
      continue;
    }
    std::lock_guard lock(mu_);
    if (stats_.unexpected.empty()) {
      stats_.unexpected = "HTTP input answered " + std::to_string(r.status) + ": " + r.body;
    }
    return false;
  }
  return false;
}

void HttpSender::run() {
  try {
    send_loop();
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    ++stats_.given_up;
    stats_.unexpected = std::string("the client stopped: ") + e.what();
  }
}

void HttpSender::send_loop() {
  const auto pause = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(records_per_body_ / records_per_second_));
  auto next = Clock::now();
  while (!stopping_) {
    std::vector<std::string> markers;
    std::vector<std::string> headers;
    std::string body = make_body(markers, headers);
    if (!record_outcome(deliver(body, headers), markers)) break;
    // Pacing, not waiting for an event: the next body is due at a fixed rate.
    next = std::max(next + pause, Clock::now());
    while (!stopping_ && Clock::now() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void HttpSender::note_answer_time(Clock::duration waited) {
  std::lock_guard lock(mu_);
  stats_.longest_answer_s =
      std::max(stats_.longest_answer_s, std::chrono::duration<double>(waited).count());
}

bool HttpSender::record_outcome(bool accepted, const std::vector<std::string>& markers) {
  std::lock_guard lock(mu_);
  if (!accepted) {
    ++stats_.given_up;
    return false;
  }
  ledger_.add(markers);
  ++stats_.bodies;
  stats_.records += markers.size();
  return true;
}

}  // namespace auditrelay::chaos
