// fake_es_ceiling: how fast fake_elasticsearch takes bulk requests, so that a benchmark of
// the agent knows the fake is not its bottleneck. Drives the fake with libcurl multi over K
// keep-alive connections and reports documents/s and the fake's CPU time per document
// (utime + stime from /proc/<pid>/stat). Not a ctest test.
#include <curl/curl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fakes/curl_client.h"
#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/support/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;

// CPU time (user + system) of a process so far, in microseconds.
double cpu_us(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// One connection's request: a bulk body whose ids are rewritten in place before each send.
struct Sender {
  CURL* easy = nullptr;
  std::string body;
  std::string sent;  // the gzip form when compressing
  std::vector<size_t> id_offsets;
  std::string response;
};

constexpr int kIdDigits = 16;

void build_body(Sender& s, int docs, int doc_bytes) {
  std::string padding(static_cast<size_t>(std::max(0, doc_bytes - 150)), 'x');
  for (int i = 0; i < docs; ++i) {
    s.body += R"({"create":{"_id":")";
    s.id_offsets.push_back(s.body.size());
    s.body += std::string(kIdDigits, '0');
    s.body += "\"}}\n";
    s.body += R"({"@timestamp":"2026-11-29T10:00:00.000Z","event":{"action":"policy-evaluated",)";
    s.body += R"("outcome":"success"},"user":{"name":"alice"},"message":")" + padding + "\"}\n";
  }
}

void next_ids(Sender& s, uint64_t& counter) {
  for (size_t offset : s.id_offsets) {
    uint64_t id = counter++;
    for (int d = kIdDigits - 1; d >= 0; --d, id /= 10)
      s.body[offset + static_cast<size_t>(d)] = static_cast<char>('0' + id % 10);
  }
}

size_t collect(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

}  // namespace

int main(int argc, char** argv) {
  int connections = 4, docs = 500, doc_bytes = 400;
  double seconds = 3;
  bool compress = false;
  std::string filter_path;
  CLI::App app{"fake_es_ceiling: bulk throughput of fake_elasticsearch"};
  app.add_option("--connections", connections, "concurrent keep-alive connections");
  app.add_option("--docs", docs, "documents per bulk request");
  app.add_option("--doc-bytes", doc_bytes, "approximate bytes per document source");
  app.add_option("--seconds", seconds, "how long to send");
  app.add_flag("--gzip", compress, "send Content-Encoding: gzip bodies");
  app.add_option("--filter-path", filter_path, "filter_path query parameter");
  CLI11_PARSE(app, argc, argv);

  auditrelay::test::TempDir dir;
  auditrelay::fakes::FakeElasticsearch es(dir.path());
  std::string url = es.url() + "/logs-bench-default/_bulk";
  if (!filter_path.empty()) url += "?filter_path=" + filter_path;

  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/x-ndjson");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  if (compress) headers = curl_slist_append(headers, "Content-Encoding: gzip");
  CURLM* multi = curl_multi_init();
  std::vector<Sender> senders(static_cast<size_t>(connections));
  uint64_t next_id = 0, requests = 0, failures = 0, bytes_sent = 0;
  auto send = [&](Sender& s) {
    next_ids(s, next_id);
    s.sent = compress ? auditrelay::fakes::gzip(s.body) : s.body;
    s.response.clear();
    curl_easy_setopt(s.easy, CURLOPT_POSTFIELDS, s.sent.data());
    curl_easy_setopt(s.easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(s.sent.size()));
    bytes_sent += s.sent.size();
    curl_multi_add_handle(multi, s.easy);
  };
  for (auto& s : senders) {
    build_body(s, docs, doc_bytes);
    s.easy = curl_easy_init();
    curl_easy_setopt(s.easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s.response);
    curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
  }

  double cpu_before = cpu_us(es.pid());
  auto started = Clock::now();
  auto deadline =
      started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (auto& s : senders)
    send(s);
  int running = connections;
  while (running > 0) {
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Sender* s = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
      long status = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      ++requests;
      if (msg->data.result != CURLE_OK || status != 200 ||
          s->response.find("\"errors\":true") != std::string::npos)
        ++failures;
      curl_multi_remove_handle(multi, msg->easy_handle);
      if (Clock::now() < deadline) {
        send(*s);
        ++running;
      }
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  double fake_cpu = cpu_us(es.pid()) - cpu_before;
  uint64_t total_docs = requests * static_cast<uint64_t>(docs);
  uint64_t indexed = es.indexed();

  std::printf("connections=%d docs/request=%d doc_bytes~%d gzip=%s filter_path=%s\n", connections,
              docs, doc_bytes, compress ? "yes" : "no",
              filter_path.empty() ? "-" : filter_path.c_str());
  std::printf("requests=%llu failed=%llu documents=%llu indexed=%llu in %.2f s\n",
              static_cast<unsigned long long>(requests), static_cast<unsigned long long>(failures),
              static_cast<unsigned long long>(total_docs), static_cast<unsigned long long>(indexed),
              elapsed);
  std::printf("throughput: %.0f docs/s, %.1f MB/s sent\n", total_docs / elapsed,
              bytes_sent / elapsed / 1e6);
  std::printf("fake CPU: %.2f us/doc, %.0f%% of one core\n", fake_cpu / total_docs,
              fake_cpu / (elapsed * 1e6) * 100);
  std::printf("fake ceiling (one core, CPU-bound): %.0f docs/s\n", total_docs / fake_cpu * 1e6);

  for (auto& s : senders)
    curl_easy_cleanup(s.easy);
  curl_multi_cleanup(multi);
  curl_slist_free_all(headers);
  return failures == 0 ? 0 : 1;
}
