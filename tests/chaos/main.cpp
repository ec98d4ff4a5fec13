// auditrelay_chaos: runs the real agent against the fakes while injecting faults, and checks
// that every record arrives: exactly once in Elasticsearch, at least once in Splunk HEC and the
// webhook receiver. See README.md in this directory.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>

#include "tests/chaos/scenarios.h"

using namespace auditrelay::chaos;

namespace {

std::set<int> parse_only(const std::string& text) {
  std::set<int> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) out.insert(std::stoi(part));
  }
  return out;
}

std::string at_least_once_cell(const AtLeastOnce& a) {
  if (!a.configured) return "-";
  return std::to_string(a.lost) + "/" + std::to_string(a.duplicated);
}

void print_table(const std::vector<ScenarioResult>& results) {
  std::printf("\n%-32s %8s %8s %8s %8s %6s %6s %10s %10s %7s  %s\n", "scenario", "records",
              "faults", "in-fault", "indexed", "lost", "dup", "hec l/dup", "hook l/dup", "drain s",
              "result");
  for (const ScenarioResult& r : results) {
    const Verdict& v = r.verdict;
    std::printf("%-32s %8llu %8llu %8llu %8llu %6llu %6llu %10s %10s %7.1f  %s\n", r.name.c_str(),
                static_cast<unsigned long long>(v.records),
                static_cast<unsigned long long>(r.faults.count),
                static_cast<unsigned long long>(r.indexed_during_faults),
                static_cast<unsigned long long>(v.indexed), static_cast<unsigned long long>(v.lost),
                static_cast<unsigned long long>(v.duplicated), at_least_once_cell(v.hec).c_str(),
                at_least_once_cell(v.webhook).c_str(), r.drain_seconds, r.failed() ? "FAIL" : "ok");
  }
  std::printf("\nfaults injected:\n");
  for (const ScenarioResult& r : results) {
    std::printf("  %-30s %s (%.0f s)\n", r.name.c_str(), r.faults.text.c_str(), r.total_seconds);
    for (const std::string& n : r.notes)
      std::printf("    note: %s\n", n.c_str());
    for (const std::string& e : r.verdict.examples)
      std::printf("    %s\n", e.c_str());
    if (r.verdict.unexpected > 0) {
      std::printf("    %llu documents with a marker never written\n",
                  static_cast<unsigned long long>(r.verdict.unexpected));
    }
    for (const std::string& f : r.failures)
      std::printf("    FAILURE: %s\n", f.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"auditrelay chaos runner: faults against the real agent, every record counted"};
  bool short_mode = false;
  bool long_mode = false;
  std::string only;
  uint32_t seed = 20261130;
  auto* s = app.add_flag("--short", short_mode, "All scenarios briefly (CI, about 2 minutes)");
  app.add_flag("--long", long_mode, "Minutes per scenario (20-40 minutes)")->excludes(s);
  app.add_option("--only", only, "Scenario numbers to run, e.g. 1,8");
  app.add_option("--seed", seed, "Seed of every random choice");
  CLI11_PARSE(app, argc, argv);

  RunOptions options;
  options.long_mode = long_mode;
  options.seed = seed;
  if (long_mode) {
    options.tail_rate = 400;
    options.http_rate = 150;
  }
  const std::set<int> wanted = parse_only(only);
  std::printf("auditrelay chaos: %s mode, seed %u\n", long_mode ? "long" : "short", seed);

  std::vector<ScenarioResult> results;
  for (const Scenario& scenario : all_scenarios()) {
    if (!wanted.empty() && wanted.count(scenario.number) == 0) continue;
    std::printf("== %d %s\n", scenario.number, scenario.name.c_str());
    std::fflush(stdout);
    try {
      for (ScenarioResult& r : scenario.run(options)) {
        std::printf("   %s: %llu records, %llu lost, %llu duplicated, drained in %.1f s%s\n",
                    r.name.c_str(), static_cast<unsigned long long>(r.verdict.records),
                    static_cast<unsigned long long>(r.verdict.lost),
                    static_cast<unsigned long long>(r.verdict.duplicated), r.drain_seconds,
                    r.failed() ? " FAIL" : "");
        std::fflush(stdout);
        results.push_back(std::move(r));
      }
    } catch (const std::exception& e) {
      ScenarioResult broken;
      broken.name = std::to_string(scenario.number) + " " + scenario.name;
      broken.failures.push_back(std::string("the scenario stopped: ") + e.what());
      results.push_back(std::move(broken));
    }
  }
  print_table(results);
  bool failed = false;
  for (const ScenarioResult& r : results)
    failed = failed || r.failed();
  std::printf("\n%s\n", failed ? "CHAOS FAILED" : "chaos: every record delivered");
  return failed ? 1 : 0;
}
