// auditrelay_bench_rusage: runs a command and reports what the OS charged it.
//
//   auditrelay_bench_rusage [-o REPORT] [--stdout FILE] [--stderr FILE] -- COMMAND [ARG...]
//
// Forks, execs COMMAND (stdout/stderr optionally redirected to files), waits for it with wait4()
// and writes one line to REPORT (default: stderr):
//
//   wall_s=<seconds> user_s=<seconds> sys_s=<seconds> maxrss_kib=<KiB> exit=<code>
//
// exit is the command's exit status, or 128+signal when it was killed. The helper's own exit
// status is the command's. Used by run.sh when GNU time is not installed.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: auditrelay_bench_rusage [-o REPORT] [--stdout FILE] [--stderr FILE] -- "
               "COMMAND [ARG...]\n");
  std::_Exit(2);
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

// In the child: points `target` at `path` (truncated), or exits 127.
void redirect(const std::string& path, int target) {
  if (path.empty()) return;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::dup2(fd, target) < 0) {
    std::fprintf(stderr, "auditrelay_bench_rusage: %s: %s\n", path.c_str(), std::strerror(errno));
    std::_Exit(127);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string report_path;
  std::string stdout_path;
  std::string stderr_path;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) usage();
    if (a == "-o")
      report_path = argv[++i];
    else if (a == "--stdout")
      stdout_path = argv[++i];
    else if (a == "--stderr")
      stderr_path = argv[++i];
    else
      usage();
  }
  if (i >= argc) usage();

  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    std::fprintf(stderr, "auditrelay_bench_rusage: fork: %s\n", std::strerror(errno));
    return 127;
  }
  if (pid == 0) {
    redirect(stdout_path, STDOUT_FILENO);
    redirect(stderr_path, STDERR_FILENO);
    ::execvp(argv[i], argv + i);
    std::fprintf(stderr, "auditrelay_bench_rusage: %s: %s\n", argv[i], std::strerror(errno));
    std::_Exit(127);
  }

  int status = 0;
  rusage usage_info{};
  pid_t r;
  do {
    r = ::wait4(pid, &status, 0, &usage_info);
  } while (r < 0 && errno == EINTR);
  auto end = std::chrono::steady_clock::now();
  if (r < 0) {
    std::fprintf(stderr, "auditrelay_bench_rusage: wait4: %s\n", std::strerror(errno));
    return 127;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  FILE* report = stderr;
  if (!report_path.empty()) {
    report = std::fopen(report_path.c_str(), "w");
    if (!report) {
      std::fprintf(stderr, "auditrelay_bench_rusage: %s: %s\n", report_path.c_str(),
                   std::strerror(errno));
      return 127;
    }
  }
  std::fprintf(report, "wall_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kib=%ld exit=%d\n",
               std::chrono::duration<double>(end - start).count(), seconds(usage_info.ru_utime),
               seconds(usage_info.ru_stime), usage_info.ru_maxrss, code);
  if (report != stderr) std::fclose(report);
  return code;
}
