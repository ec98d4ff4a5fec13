// The eight chaos scenarios of issue 10 (README.md in this directory says what each does).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tests/chaos/scenario_run.h"

namespace auditrelay::chaos {

struct Scenario {
  int number;
  std::string name;
  // One result per part (the disk-full scenario has two).
  std::function<std::vector<ScenarioResult>(const RunOptions&)> run;
};

std::vector<Scenario> all_scenarios();

}  // namespace auditrelay::chaos
