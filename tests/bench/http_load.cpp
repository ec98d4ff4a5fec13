// auditrelay_bench_http_load: the load generator of run.sh's http-elasticsearch scenario.
//
//   auditrelay_bench_http_load --url URL --input FILE [--batch 500] [--clients 16]
//                              [--timeout-ms 60000] [--max-attempts 100]
//
// Splits FILE's lines into bodies of --batch lines (the last one may be shorter) and POSTs each
// body once, as application/x-ndjson, from --clients threads: each has its own libcurl easy
// handle, so its requests reuse one keep-alive connection, and takes the next unsent body when
// its previous one is answered. A body is sent again only after a 503 (waiting the Retry-After
// seconds, 1 when absent) or a transport error (after 100 ms); every such attempt counts as a
// retry. Every other status is a failure, and so is a 200 whose `accepted` is not the body's
// record count.
//
// Latency is measured per POST answered 200: from handing the request to libcurl to having the
// whole response (curl_easy_perform's duration). On stdout, one line:
//
//   records=N posts=P wall_s=W p50_ms=X p99_ms=Y max_ms=Z retries=R start_epoch=E cpu_s=C
//   load_cpu_s=L
//
// records are those accepted, wall_s runs from the first POST to the last answer, start_epoch is
// the wall clock (seconds since the epoch) of the first POST, cpu_s the generator's own user+sys
// CPU from the first POST to the last answer, load_cpu_s what reading the file cost before. Exit
// status 0 when every body was accepted in full, 1 otherwise (the reasons go to stderr), 2 for bad
// arguments.
#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: auditrelay_bench_http_load --url URL --input FILE [--batch N] "
               "[--clients N] [--timeout-ms MS] [--max-attempts N]\n");
  std::exit(2);
}

struct Body {
  std::string_view bytes;  // into the file's contents, or `owned`
  std::string owned;       // only when the lines are not contiguous in the file
  size_t records = 0;
};

struct Options {
  std::string url;
  std::string input;
  size_t batch = 500;
  size_t clients = 16;
  long timeout_ms = 60000;
  size_t max_attempts = 100;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Keeps only the Retry-After header (in seconds), the one the client acts on.
size_t write_header(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i) {
      match = static_cast<char>(std::tolower(static_cast<unsigned char>(line[i]))) == kName[i];
    }
    if (match)
      *static_cast<long*>(user) = std::atol(std::string(line.substr(kName.size())).c_str());
  }
  return size * count;
}

// The number after "accepted": in a response body, or -1.
long accepted_of(const std::string& body) {
  size_t at = body.find("\"accepted\":");
  if (at == std::string::npos) return -1;
  return std::strtol(body.c_str() + at + std::strlen("\"accepted\":"), nullptr, 10);
}

struct Shared {
  const Options* options = nullptr;
  const std::vector<Body>* bodies = nullptr;
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> failures{0};
  std::mutex mutex;  // guards errors
  std::vector<std::string> errors;
  void fail(std::string message) {
    failures.fetch_add(1);
    std::lock_guard<std::mutex> lock(mutex);
    if (errors.size() < 20) errors.push_back(std::move(message));
  }
};

void client(Shared& shared, std::vector<double>& latencies_ms) {
  const Options& o = *shared.options;
  CURL* easy = curl_easy_init();
  if (easy == nullptr) {
    shared.fail("curl_easy_init failed");
    return;
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/x-ndjson");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  std::string response;
  long retry_after = -1;
  curl_easy_setopt(easy, CURLOPT_URL, o.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, o.timeout_ms);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &retry_after);

  for (;;) {
    size_t index = shared.next.fetch_add(1);
    if (index >= shared.bodies->size()) break;
    const Body& body = (*shared.bodies)[index];
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.bytes.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.bytes.size()));
    bool done = false;
    for (size_t attempt = 1; !done; ++attempt) {
      response.clear();
      retry_after = -1;
      auto t0 = std::chrono::steady_clock::now();
      CURLcode code = curl_easy_perform(easy);
      auto t1 = std::chrono::steady_clock::now();
      long status = 0;
      if (code == CURLE_OK) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      if (code == CURLE_OK && status == 200) {
        long accepted = accepted_of(response);
        if (accepted != static_cast<long>(body.records)) {
          shared.fail("body " + std::to_string(index) + ": accepted " + std::to_string(accepted) +
                      " of " + std::to_string(body.records) +
                      " records: " + response.substr(0, 300));
        } else {
          shared.accepted.fetch_add(body.records);
          latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        done = true;
      } else if ((code != CURLE_OK || status == 503) && attempt < o.max_attempts) {
        shared.retries.fetch_add(1);
        auto wait = code != CURLE_OK ? std::chrono::milliseconds(100)
                                     : std::chrono::milliseconds(1000 * std::max(retry_after, 1L));
        std::this_thread::sleep_for(wait);
      } else {
        shared.fail(
            "body " + std::to_string(index) + " (attempt " + std::to_string(attempt) + "): " +
            (code != CURLE_OK ? std::string(curl_easy_strerror(code))
                              : "HTTP " + std::to_string(status) + " " + response.substr(0, 300)));
        done = true;
      }
    }
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(easy);
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank.
  size_t rank =
      static_cast<size_t>(std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(sorted.size()))));
  return sorted[std::min(rank, sorted.size()) - 1];
}

double cpu_seconds() {
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  return static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
         static_cast<double>(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) usage();
    std::string v = argv[++i];
    if (a == "--url")
      o.url = v;
    else if (a == "--input")
      o.input = v;
    else if (a == "--batch")
      o.batch = std::strtoul(v.c_str(), nullptr, 10);
    else if (a == "--clients")
      o.clients = std::strtoul(v.c_str(), nullptr, 10);
    else if (a == "--timeout-ms")
      o.timeout_ms = std::strtol(v.c_str(), nullptr, 10);
    else if (a == "--max-attempts")
      o.max_attempts = std::strtoul(v.c_str(), nullptr, 10);
    else
      usage();
  }
  if (o.url.empty() || o.input.empty() || o.batch == 0 || o.clients == 0 || o.timeout_ms <= 0 ||
      o.max_attempts == 0) {
    usage();
  }

  // Every body is built before the first POST: reading is not timed. The file is read whole
  // and cut at line ends (getline and string growth cost more CPU than the POSTs themselves).
  std::vector<Body> bodies;
  std::string data;  // the file, which most bodies are views of
  {
    std::ifstream in(o.input, std::ios::binary | std::ios::ate);
    if (!in) {
      std::fprintf(stderr, "auditrelay_bench_http_load: cannot open %s\n", o.input.c_str());
      return 2;
    }
    data.resize(static_cast<size_t>(in.tellg()));
    in.seekg(0);
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    std::vector<std::string_view> lines;  // of the body being built, each with its '\n'
    auto cut = [&] {
      Body body;
      body.records = lines.size();
      bool contiguous = lines.back().back() == '\n';
      for (size_t i = 1; i < lines.size() && contiguous; ++i)
        contiguous = lines[i].data() == lines[i - 1].data() + lines[i - 1].size();
      if (contiguous) {
        body.bytes = std::string_view(
            lines.front().data(),
            static_cast<size_t>(lines.back().data() + lines.back().size() - lines.front().data()));
      } else {  // blank lines left out, or the file's last line has no '\n'
        for (std::string_view l : lines)
          body.owned.append(l);
        if (body.owned.back() != '\n') body.owned += '\n';
      }
      bodies.push_back(std::move(body));
      lines.clear();
    };
    for (size_t pos = 0; pos < data.size();) {
      size_t nl = data.find('\n', pos);
      size_t end = nl == std::string::npos ? data.size() : nl + 1;
      std::string_view line(data.data() + pos, end - pos);
      pos = end;
      if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;  // blank
      lines.push_back(line);
      if (lines.size() == o.batch) cut();
    }
    if (!lines.empty()) cut();
    for (Body& body : bodies)
      if (!body.owned.empty()) body.bytes = body.owned;  // after the moves: no dangling view
  }
  size_t total = 0;
  for (const Body& b : bodies)
    total += b.records;

  double load_cpu = cpu_seconds();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Shared shared;
  shared.options = &o;
  shared.bodies = &bodies;
  std::vector<std::vector<double>> latencies(o.clients);
  std::vector<std::thread> threads;
  double start_epoch =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < o.clients; ++i) {
    threads.emplace_back([&shared, &lat = latencies[i]] { client(shared, lat); });
  }
  for (std::thread& t : threads)
    t.join();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  curl_global_cleanup();

  std::vector<double> all;
  for (const auto& l : latencies)
    all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  // The generator's own CPU while it sends (it shares the machine with the agent and the fake).
  double cpu = cpu_seconds() - load_cpu;
  std::printf(
      "records=%llu posts=%zu wall_s=%.6f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f retries=%llu "
      "start_epoch=%.6f cpu_s=%.3f load_cpu_s=%.3f\n",
      static_cast<unsigned long long>(shared.accepted.load()), all.size(), wall,
      percentile(all, 50), percentile(all, 99), all.empty() ? 0.0 : all.back(),
      static_cast<unsigned long long>(shared.retries.load()), start_epoch, cpu, load_cpu);
  for (const std::string& e : shared.errors) {
    std::fprintf(stderr, "auditrelay_bench_http_load: %s\n", e.c_str());
  }
  if (shared.failures.load() > 0 || shared.accepted.load() != total) {
    std::fprintf(stderr,
                 "auditrelay_bench_http_load: FAILED: %llu of %zu records accepted, %llu bodies "
                 "failed\n",
                 static_cast<unsigned long long>(shared.accepted.load()), total,
                 static_cast<unsigned long long>(shared.failures.load()));
    return 1;
  }
  return 0;
}
