// Test support: runs the real auditrelay binary (or any program) with its output in files,
// and waits for conditions with a deadline instead of sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace auditrelay::test {

// The auditrelay binary under test.
std::string agent_binary();

class Process {
 public:
  // Starts `argv` with stdout and stderr going to the given files and stdin from
  // `stdin_file` (or /dev/null). Extra environment entries are "NAME=value".
  Process(std::vector<std::string> argv, std::filesystem::path stdout_file,
          std::filesystem::path stderr_file, std::vector<std::string> env = {},
          std::optional<std::filesystem::path> stdin_file = std::nullopt);
  ~Process();  // kills the process if it is still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void signal(int signum) const;
  // The exit code, or nullopt if it has not exited within `timeout`. A death by signal is
  // reported as 128 + the signal number.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs the agent with `args` to completion (at most `timeout`), returning code and output.
Result run_agent(const std::vector<std::string>& args, const std::filesystem::path& work_dir,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60),
                 std::optional<std::filesystem::path> stdin_file = std::nullopt,
                 std::vector<std::string> env = {});

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Lines of a file (none if it does not exist).
std::vector<std::string> read_lines(const std::filesystem::path& path);

}  // namespace auditrelay::test
