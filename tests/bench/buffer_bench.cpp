// auditrelay_bench_buffer: append and read-back throughput of the disk buffer alone.
//
//   auditrelay_bench_buffer --input DOCS.ndjson [--levels -1,1,3] [--batch 1000]
//                           [--repeat R] [--dir DIR]
//
// DOCS.ndjson holds normalized documents (`auditrelay normalize` output). They are loaded into
// batches first (not timed); then, per zstd level, a fresh queue in DIR (default: the system's
// temporary directory) gets every batch appended with sync: batch (one fdatasync per batch, as
// the pipeline does) and is read back from the start. Prints a table to stderr and one line per
// scenario to stdout for run.sh:
//
//   result|NAME|RECORDS|JSON_BYTES|WALL_S|USER_S|SYS_S|MAXRSS_KIB
//
// With --repeat R each scenario reports its run with the median wall time.
#include <rapidjson/document.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "agent/buffer/disk_queue.h"
#include "agent/core/log.h"

namespace {

using auditrelay::DocumentBatch;
using namespace auditrelay::buffer;
namespace fs = std::filesystem;

struct Args {
  std::string input;
  std::vector<int> levels{-1, 1, 3};
  size_t batch = 1000;
  int repeat = 1;
  fs::path dir = fs::temp_directory_path();
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: auditrelay_bench_buffer --input DOCS.ndjson [--levels -1,1,3] "
               "[--batch N] [--repeat R] [--dir DIR]\n");
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) usage();
    std::string value = argv[++i];
    if (arg == "--input") {
      a.input = value;
    } else if (arg == "--levels") {
      a.levels.clear();
      size_t pos = 0;
      while (pos <= value.size()) {
        size_t comma = value.find(',', pos);
        if (comma == std::string::npos) comma = value.size();
        a.levels.push_back(std::stoi(value.substr(pos, comma - pos)));
        pos = comma + 1;
      }
    } else if (arg == "--batch") {
      a.batch = std::stoul(value);
    } else if (arg == "--repeat") {
      a.repeat = std::stoi(value);
    } else if (arg == "--dir") {
      a.dir = value;
    } else {
      usage();
    }
  }
  if (a.input.empty() || a.batch == 0 || a.repeat < 1) usage();
  return a;
}

// The id and target data stream of a document, as the pipeline gives them to the buffer.
void add_document(const std::string& line, uint64_t n, DocumentBatch& batch) {
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  std::string id = "doc-" + std::to_string(n), index = "logs-generic-default";
  if (!doc.HasParseError() && doc.IsObject()) {
    auto event = doc.FindMember("event");
    if (event != doc.MemberEnd() && event->value.IsObject()) {
      auto v = event->value.FindMember("id");
      if (v != event->value.MemberEnd() && v->value.IsString()) id = v->value.GetString();
    }
    auto ds = doc.FindMember("data_stream");
    if (ds != doc.MemberEnd() && ds->value.IsObject()) {
      std::string parts[3];
      const char* keys[3] = {"type", "dataset", "namespace"};
      for (int k = 0; k < 3; ++k) {
        auto v = ds->value.FindMember(keys[k]);
        if (v != ds->value.MemberEnd() && v->value.IsString()) parts[k] = v->value.GetString();
      }
      index = parts[0] + "-" + parts[1] + "-" + parts[2];
    }
  }
  batch.add(id, index, line);
}

struct Usage {
  double wall = 0, user = 0, sys = 0;
};

struct Clock {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  rusage ru{};
  Clock() { getrusage(RUSAGE_SELF, &ru); }
  static double seconds(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
  }
  Usage since() const {
    rusage now{};
    getrusage(RUSAGE_SELF, &now);
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(),
            seconds(now.ru_utime) - seconds(ru.ru_utime),
            seconds(now.ru_stime) - seconds(ru.ru_stime)};
  }
};

struct Scenario {
  std::string name;
  std::vector<Usage> runs;
  void keep(const Usage& u) { runs.push_back(u); }
  // The run with the median wall time (the lower one of an even count).
  Usage median() const {
    std::vector<Usage> sorted = runs;
    std::sort(sorted.begin(), sorted.end(),
              [](const Usage& a, const Usage& b) { return a.wall < b.wall; });
    return sorted[(sorted.size() - 1) / 2];
  }
};

long maxrss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);
  auditrelay::configure_logging(auditrelay::LogLevel::kWarn, auditrelay::LogFormat::kText);
  std::ifstream in(args.input);
  if (!in) {
    std::fprintf(stderr, "auditrelay_bench_buffer: cannot open %s\n", args.input.c_str());
    return 1;
  }
  std::vector<DocumentBatch> batches(1);
  uint64_t records = 0, json_bytes = 0, raw_bytes = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (batches.back().size() == args.batch) batches.emplace_back();
    add_document(line, records++, batches.back());
    json_bytes += line.size();
  }
  for (const DocumentBatch& b : batches)
    raw_bytes += b.bytes();
  if (records == 0) {
    std::fprintf(stderr, "auditrelay_bench_buffer: no documents in %s\n", args.input.c_str());
    return 1;
  }
  std::fprintf(stderr, "%llu documents, %.1f MB of JSON (%.0f bytes each), batches of %zu\n\n",
               static_cast<unsigned long long>(records), json_bytes / 1e6,
               static_cast<double>(json_bytes) / static_cast<double>(records), args.batch);
  std::fprintf(stderr, "%-22s %10s %12s %9s %11s %8s\n", "scenario", "wall s", "records/s",
               "MB/s JSON", "CPU us/rec", "ratio");

  std::vector<std::string> out_lines;
  for (int level : args.levels) {
    Scenario append{"buffer append (zstd " + std::to_string(level) + ")"};
    Scenario read{"buffer read (zstd " + std::to_string(level) + ")"};
    double ratio = 0;
    for (int r = 0; r < args.repeat; ++r) {
      char tmpl[4096];
      std::snprintf(tmpl, sizeof tmpl, "%s/buffer-bench.XXXXXX", args.dir.c_str());
      if (mkdtemp(tmpl) == nullptr) {
        std::perror("mkdtemp");
        return 1;
      }
      fs::path dir = tmpl;
      {
        QueueOptions options;
        options.dir = dir;
        options.compression_level = level;
        options.max_bytes = UINT64_MAX;
        options.sync = SyncMode::kBatch;
        auto queue = DiskQueue::open(options, {"out"});
        Clock c;
        for (const DocumentBatch& b : batches) {
          queue->append(b);
          if (std::string err = queue->sync(); !err.empty()) {
            std::fprintf(stderr, "sync: %s\n", err.c_str());
            return 1;
          }
        }
        append.keep(c.since());
        ratio = static_cast<double>(json_bytes) / static_cast<double>(queue->stats().bytes_on_disk);

        Clock rc;
        uint64_t seen = 0, seen_bytes = 0, from = 0;
        while (auto frame = queue->read(from)) {
          seen += frame->documents.size();
          seen_bytes += frame->documents.bytes();
          from = frame->next_seq;
        }
        read.keep(rc.since());
        if (seen != records || seen_bytes != raw_bytes) {
          std::fprintf(stderr, "read back %llu records of %llu\n",
                       static_cast<unsigned long long>(seen),
                       static_cast<unsigned long long>(records));
          return 1;
        }
      }
      fs::remove_all(dir);
    }
    for (const Scenario* s : {&append, &read}) {
      const Usage u = s->median();
      double n = static_cast<double>(records);
      std::fprintf(stderr, "%-22s %10.3f %12.0f %9.1f %11.2f %7.2f:1\n", s->name.c_str(), u.wall,
                   n / u.wall, static_cast<double>(json_bytes) / 1e6 / u.wall,
                   (u.user + u.sys) * 1e6 / n, ratio);
      char buf[512];
      std::snprintf(buf, sizeof buf, "result|%s|%llu|%llu|%.6f|%.6f|%.6f|%ld", s->name.c_str(),
                    static_cast<unsigned long long>(records),
                    static_cast<unsigned long long>(json_bytes), u.wall, u.user, u.sys,
                    maxrss_kib());
      out_lines.push_back(buf);
    }
  }
  for (const std::string& l : out_lines)
    std::printf("%s\n", l.c_str());
  return 0;
}
