// `auditrelay buffer status`: what the disk buffer holds for each output, read from disk
// without changing anything, so it works whether the agent runs or not.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "agent/buffer/disk_queue.h"
#include "agent/cli/commands.h"
#include "agent/config/config.h"
#include "agent/core/config_schema.h"
#include "agent/core/human_format.h"
#include "agent/core/timestamp.h"

namespace auditrelay::cli {
namespace {

std::string age_of(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - t)
                  .count();
  return utc_timestamp(t) + " (" + std::to_string(secs) + "s ago)";
}

}  // namespace

int buffer_status_command(const std::string& config_file) {
  PipelineConfig config;
  try {
    config = load_config(config_file, make_config_schema(builtin_plugins()));
  } catch (const ConfigError& e) {
    std::cerr << "auditrelay: invalid configuration\n  " << e.what() << "\n";
    return kExitFailure;
  }
  std::filesystem::path dir =
      std::filesystem::path(config.service.section("storage").string("path")) / "buffer";
  buffer::QueueStats stats;
  try {
    stats = buffer::DiskQueue::inspect(dir);
  } catch (const std::exception& e) {
    std::cerr << "auditrelay: cannot read the buffer in " << dir.string() << ": " << e.what()
              << "\n";
    return kExitFailure;
  }
  std::cout << "buffer " << dir.string() << "\n"
            << "  segments: " << stats.segments << " (" << human_bytes(stats.bytes_on_disk)
            << " on disk)\n"
            << "  records retained: " << (stats.next_seq - stats.first_seq) << " (sequence "
            << stats.first_seq << " to " << stats.next_seq << ")\n"
            << "  corrupt frames set aside: " << stats.corrupt_frames_set_aside << "\n";
  for (const InstanceConfig& oc : config.outputs) {
    std::cout << "output " << oc.name << " (" << oc.type << ")\n";
    const buffer::OutputBacklog* backlog = nullptr;
    for (const auto& b : stats.outputs) {
      if (b.output == oc.name) backlog = &b;
    }
    if (backlog == nullptr) {
      std::cout << "  no cursor yet: starts at the oldest retained record\n";
      continue;
    }
    std::cout << "  backlog: " << backlog->records << " records, " << human_bytes(backlog->bytes)
              << "\n"
              << "  oldest undelivered: "
              << (backlog->oldest ? age_of(*backlog->oldest) : std::string("none")) << "\n";
  }
  return kExitOk;
}

}  // namespace auditrelay::cli
