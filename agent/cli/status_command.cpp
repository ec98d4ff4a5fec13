// `auditrelay status`: the running agent's view of itself, from its monitoring server
// (GET /api/v1/status, see agent/core/monitoring.h), as a table for an operator. The delivery
// rate behind the drain estimate is how far each output's buffer cursor moved between two
// fetches `--interval` apart (taken when something is behind); an input's rate is how many
// records it handed in between the same two fetches.
#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/core/human_format.h"
#include "agent/core/peer_json.h"

namespace auditrelay::cli {
namespace {

struct Fetched {
  std::string error;  // empty when the agent answered 200
  std::string body;
};

size_t append_body(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One GET with libcurl's easy interface; a command has no loop to share.
Fetched http_get(const std::string& url) {
  Fetched f;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return {"cannot initialize libcurl", {}};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, 3000L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &f.body);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    f.error = error[0] != '\0' ? error : curl_easy_strerror(rc);
    return f;
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) f.error = "answered HTTP " + std::to_string(status);
  return f;
}

struct OutputRow {
  std::string name;
  std::string state;
  uint64_t backlog = 0;
  int64_t oldest_age = 0;
  std::string last_error;
  uint64_t cursor = 0;
  int64_t last_error_ago = 0;      // seconds
  std::optional<double> retry_in;  // seconds to the next attempt, while failing
};

struct InputRow {
  std::string name;
  std::string type;
  uint64_t records = 0;
  bool paused = false;
  std::optional<size_t> files;  // inputs that read files
  uint64_t lag_bytes = 0;       // over its files
};

struct Status {
  bool ok = false;
  std::vector<std::string> reasons;
  uint64_t segments = 0;
  uint64_t bytes = 0;
  uint64_t records = 0;
  bool full = false;
  std::optional<std::vector<InputRow>> inputs;  // absent from agents older than the field
  std::vector<OutputRow> outputs;
};

std::optional<Status> parse_status(const std::string& body) {
  rapidjson::Document d;
  parse_peer_json(d, body);
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("status")) return std::nullopt;
  auto str = [](const rapidjson::Value& o, const char* key) {
    return o.HasMember(key) && o[key].IsString() ? std::string(o[key].GetString()) : "";
  };
  auto u64 = [](const rapidjson::Value& o, const char* key) -> uint64_t {
    return o.HasMember(key) && o[key].IsUint64() ? o[key].GetUint64() : 0;
  };
  Status s;
  s.ok = str(d, "status") == "ok";
  if (d.HasMember("reasons") && d["reasons"].IsArray()) {
    for (const auto& r : d["reasons"].GetArray())
      if (r.IsString()) s.reasons.emplace_back(r.GetString());
  }
  if (d.HasMember("buffer") && d["buffer"].IsObject()) {
    const auto& b = d["buffer"];
    s.segments = u64(b, "segments");
    s.bytes = u64(b, "bytes");
    s.records = u64(b, "records");
    s.full = b.HasMember("full") && b["full"].IsBool() && b["full"].GetBool();
  }
  if (d.HasMember("inputs") && d["inputs"].IsArray()) {
    s.inputs.emplace();
    for (const auto& i : d["inputs"].GetArray()) {
      if (!i.IsObject()) continue;
      InputRow row{str(i, "name"), str(i, "type"), u64(i, "records")};
      row.paused = i.HasMember("paused") && i["paused"].IsBool() && i["paused"].GetBool();
      if (i.HasMember("files") && i["files"].IsArray()) {
        row.files = i["files"].Size();
        for (const auto& f : i["files"].GetArray()) {
          if (f.IsObject()) row.lag_bytes += u64(f, "lag_bytes");
        }
      }
      s.inputs->push_back(std::move(row));
    }
  }
  if (d.HasMember("outputs") && d["outputs"].IsArray()) {
    for (const auto& o : d["outputs"].GetArray()) {
      if (!o.IsObject()) continue;
      OutputRow row{str(o, "name"),       str(o, "state"), u64(o, "backlog_records"), 0,
                    str(o, "last_error"), u64(o, "cursor")};
      if (o.HasMember("oldest_undelivered_age_seconds") &&
          o["oldest_undelivered_age_seconds"].IsInt64())
        row.oldest_age = o["oldest_undelivered_age_seconds"].GetInt64();
      if (o.HasMember("last_error_seconds_ago") && o["last_error_seconds_ago"].IsInt64())
        row.last_error_ago = o["last_error_seconds_ago"].GetInt64();
      if (o.HasMember("retry_in_seconds") && o["retry_in_seconds"].IsNumber())
        row.retry_in = o["retry_in_seconds"].GetDouble();
      s.outputs.push_back(std::move(row));
    }
  }
  return s;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line = "  ";
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

// Records per second each output delivered between two fetches (by its cursor); empty when
// the second fetch failed.
std::vector<std::optional<double>> delivery_rates(const Status& before, const Status& after,
                                                  double seconds) {
  std::vector<std::optional<double>> rates(before.outputs.size());
  for (size_t i = 0; i < before.outputs.size(); ++i) {
    for (const OutputRow& o : after.outputs) {
      if (o.name == before.outputs[i].name && o.cursor >= before.outputs[i].cursor)
        rates[i] = static_cast<double>(o.cursor - before.outputs[i].cursor) / seconds;
    }
  }
  return rates;
}

std::string per_second(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f/s", rate);
  return buf;
}

// Inputs: what each has handed in, and for file inputs how far behind the files it is.
// `before` is the first fetch when there were two (for the rate), else null.
void print_inputs(const std::vector<InputRow>& inputs, const Status* before, double seconds) {
  if (inputs.empty()) {
    std::cout << "inputs: none\n";
    return;
  }
  std::cout << "inputs:\n";
  std::vector<std::vector<std::string>> rows{
      {"INPUT", "TYPE", "RECORDS", "RATE", "PAUSED", "FILES", "LAG"}};
  for (const InputRow& i : inputs) {
    std::string rate = "-";
    if (before != nullptr && before->inputs) {
      for (const InputRow& earlier : *before->inputs) {
        if (earlier.name == i.name && i.records >= earlier.records)
          rate = per_second(static_cast<double>(i.records - earlier.records) / seconds);
      }
    }
    rows.push_back({i.name, i.type, std::to_string(i.records), rate, i.paused ? "yes" : "no",
                    i.files ? std::to_string(*i.files) : "-",
                    i.files ? human_bytes(i.lag_bytes) : "-"});
  }
  print_table(rows);
}

}  // namespace

int status_command(const StatusArgs& args) {
  std::string base = args.url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  const std::string url = base + "/api/v1/status";
  auto unreachable = [&](const std::string& why) {
    std::cerr << "auditrelay: cannot get the agent's status from " << url << ": " << why
              << "\n  Is the agent running, with its monitoring server on that address? It "
                 "listens only when\n  service.http_server.listen is set in its configuration "
                 "(e.g. listen: \"127.0.0.1:2020\");\n  pass that address with --url.\n";
    return kExitUsage;
  };

  Fetched first = http_get(url);
  if (!first.error.empty()) return unreachable(first.error);
  std::optional<Status> status = parse_status(first.body);
  if (!status) return unreachable("the answer is not the agent's status JSON");

  // A second look, to see how fast the backlog goes.
  std::vector<std::optional<double>> rates(status->outputs.size());
  std::optional<Status> first_status;  // kept when there is a second look, for input rates
  double elapsed = 0;
  const bool backlog = std::any_of(status->outputs.begin(), status->outputs.end(),
                                   [](const OutputRow& o) { return o.backlog > 0; });
  const bool lag = status->inputs && std::any_of(status->inputs->begin(), status->inputs->end(),
                                                 [](const InputRow& i) { return i.lag_bytes > 0; });
  if ((backlog || lag) && args.interval_seconds > 0) {
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(args.interval_seconds));
    Fetched second = http_get(url);
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (second.error.empty()) {
      if (std::optional<Status> later = parse_status(second.body)) {
        rates = delivery_rates(*status, *later, elapsed);
        first_status = std::move(status);
        status = std::move(later);
      }
    }
  }

  std::cout << "agent " << base << ": " << (status->ok ? "healthy" : "UNHEALTHY") << "\n";
  for (const std::string& reason : status->reasons)
    std::cout << "  - " << reason << "\n";
  std::cout << "buffer: " << status->records << " records, " << human_bytes(status->bytes)
            << " on disk (segments: " << status->segments << ")"
            << (status->full ? ", FULL (inputs are held back)" : "") << "\n";
  if (status->inputs)
    print_inputs(*status->inputs, first_status ? &*first_status : nullptr, elapsed);
  if (status->outputs.empty()) {
    std::cout << "outputs: none\n";
    return status->ok ? kExitOk : kExitFailure;
  }
  std::cout << "outputs:\n";
  std::vector<std::vector<std::string>> rows{
      {"OUTPUT", "STATE", "BACKLOG", "OLDEST", "RATE", "DRAIN IN", "NEXT RETRY", "LAST ERROR"}};
  for (size_t i = 0; i < status->outputs.size(); ++i) {
    const OutputRow& o = status->outputs[i];
    std::string rate = "-";
    std::string drain = o.backlog == 0 ? "caught up" : "-";
    if (rates[i]) {
      rate = per_second(*rates[i]);
      if (o.backlog > 0) {
        drain = *rates[i] > 0
                    ? human_duration(
                          static_cast<int64_t>(static_cast<double>(o.backlog) / *rates[i]) + 1)
                    : "stalled";
      }
    }
    std::string retry =
        o.retry_in ? "in " + human_duration(static_cast<int64_t>(std::ceil(*o.retry_in))) : "-";
    std::string last_error = "-";
    if (!o.last_error.empty()) {
      last_error = o.last_error;
      if (o.state == "ok") last_error += " (" + human_duration(o.last_error_ago) + " ago)";
    }
    rows.push_back({o.name, o.state, std::to_string(o.backlog),
                    o.backlog > 0 ? human_duration(o.oldest_age) : "-", rate, drain,
                    std::move(retry), std::move(last_error)});
  }
  print_table(rows);
  return status->ok ? kExitOk : kExitFailure;
}

}  // namespace auditrelay::cli
