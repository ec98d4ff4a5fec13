#include "tests/chaos/tail_writer.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <stdexcept>

#include "tests/fakes/curl_client.h"

namespace auditrelay::chaos {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// One write(2) per call where the kernel allows: the agent sees whole lines or waits for the
// newline of a partial one.
void append_bytes(const fs::path& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("open " + path.string() + " failed");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      ::close(fd);
      throw std::runtime_error("write " + path.string() + " failed");
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

}  // namespace

TailWriter::TailWriter(fs::path in_dir, fs::path copies_dir, AgentRunner& agent, Ledger& ledger,
                       uint32_t seed, TailWriterOptions options)
    : in_dir_(std::move(in_dir)),
      copies_dir_(std::move(copies_dir)),
      agent_(agent),
      ledger_(ledger),
      factory_("t", seed),
      options_(options) {
  fs::create_directories(in_dir_);
  fs::create_directories(copies_dir_);
  streams_.push_back({"plain", Rotation::kNone, in_dir_ / "plain.jsonl"});
  streams_.push_back({"renamed", Rotation::kRename, in_dir_ / "renamed.jsonl"});
  streams_.push_back({"truncated", Rotation::kCopyTruncate, in_dir_ / "truncated.jsonl"});
}

TailWriter::~TailWriter() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void TailWriter::start() {
  thread_ = std::thread([this] { run(); });
}

void TailWriter::finish() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

TailWriterStats TailWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void TailWriter::run() {
  try {
    write_loop();
  } catch (const std::exception& e) {
    // The runner's own failure (a file it cannot write): reported, not a crash of the runner.
    std::lock_guard lock(mu_);
    stats_.error = e.what();
  }
}

void TailWriter::write_loop() {
  const auto started = Clock::now();
  const auto tick = std::chrono::milliseconds(10);
  auto next_rotation = started + options_.rotate_every;
  auto next_prune = started;
  uint64_t written = 0;
  while (!stopping_) {
    const auto now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - started).count();
    auto due = static_cast<uint64_t>(elapsed * options_.records_per_second);
    if (due > written) {
      write_due(static_cast<size_t>(due - written));
      written = due;
    }
    if (options_.rotate_every.count() > 0 && now >= next_rotation) {
      for (Stream& s : streams_)
        rotate(s);
      next_rotation += options_.rotate_every;
    }
    try_truncations();
    if (now >= next_prune) {
      prune_rotated();
      next_prune = now + std::chrono::milliseconds(250);
    }
    // Pacing: records are written at a set rate, in small steps.
    std::this_thread::sleep_for(tick);
  }
}

bool TailWriter::writable(const Stream& s) const {
  // A truncation waiting for the agent holds the file's records back, except to move its size
  // off the last truncated one (see Stream::last_truncated_size).
  return !s.truncate_due || s.size == s.last_truncated_size;
}

void TailWriter::write_due(size_t count) {
  // Spread over the files that may be written now, one after the other.
  std::vector<Stream*> open;
  for (Stream& s : streams_) {
    if (writable(s)) open.push_back(&s);
  }
  if (open.empty()) open.push_back(&streams_[0]);  // plain.jsonl is always writable
  size_t each = count / open.size();
  size_t extra = count % open.size();
  for (size_t i = 0; i < open.size(); ++i) {
    Stream& s = *open[(next_stream_ + i) % open.size()];
    size_t n = each + (i < extra ? 1 : 0);
    if (n > 0) append(s, n);
  }
  ++next_stream_;
}

void TailWriter::append(Stream& s, size_t count) {
  std::string bytes;
  std::vector<std::string> markers;
  for (size_t i = 0; i < count; ++i) {
    RecordFactory::Record r = factory_.next();
    bytes += r.line;
    bytes += '\n';
    markers.push_back(std::move(r.marker));
  }
  append_bytes(s.live, bytes);
  s.size += bytes.size();
  ledger_.add(markers);
  std::lock_guard lock(mu_);
  stats_.records += count;
}

void TailWriter::rotate(Stream& s) {
  if (s.rotation == Rotation::kCopyTruncate) {
    s.truncate_due = true;  // done by try_truncations() once the agent has it all
    return;
  }
  if (s.rotation != Rotation::kRename || s.size == 0) return;
  fs::path rotated = s.live;
  rotated += "." + std::to_string(++s.generation);
  fs::rename(s.live, rotated);
  // A writer that has not reopened yet: one more record lands in the renamed file.
  RecordFactory::Record late = factory_.next();
  append_bytes(rotated, late.line + "\n");
  ledger_.add({late.marker});
  rotated_.push_back({rotated, s.size + late.line.size() + 1});
  s.size = 0;
  std::lock_guard lock(mu_);
  ++stats_.records;
  ++stats_.renames;
}

void TailWriter::try_truncations() {
  bool any = false;
  for (const Stream& s : streams_)
    any = any || (s.truncate_due && s.size > 0 && s.size != s.last_truncated_size);
  if (!any) return;
  std::optional<CommittedOffsets> committed = committed_offsets();
  if (!committed) return;
  for (Stream& s : streams_) {
    if (!s.truncate_due || s.size == 0 || s.size == s.last_truncated_size) continue;
    auto it = committed->find(s.live.string());
    if (it == committed->end() || it->second != s.size) continue;
    fs::copy_file(s.live, copies_dir_ / (s.name + "." + std::to_string(++s.generation)));
    fs::resize_file(s.live, 0);
    s.last_truncated_size = s.size;
    s.size = 0;
    s.truncate_due = false;
    std::lock_guard lock(mu_);
    ++stats_.copytruncates;
  }
}

void TailWriter::prune_rotated() {
  if (rotated_.empty()) return;
  std::optional<CommittedOffsets> committed = committed_offsets();
  if (!committed) return;
  std::erase_if(rotated_, [&](const RotatedFile& f) {
    auto it = committed->find(f.path.string());
    if (it == committed->end() || it->second != f.size) return false;
    fs::remove(f.path);
    std::lock_guard lock(mu_);
    ++stats_.rotated_deleted;
    return true;
  });
}

std::optional<TailWriter::CommittedOffsets> TailWriter::committed_offsets() {
  std::string base = agent_.monitoring_url();
  if (base.empty()) return std::nullopt;
  fakes::CurlClient client;
  fakes::HttpResult r = client.request("GET", base + "/api/v1/status", "", {}, 2000);
  if (r.code != CURLE_OK || r.status != 200) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  if (doc.HasParseError() || !doc.HasMember("inputs")) return std::nullopt;
  CommittedOffsets out;
  for (const auto& input : doc["inputs"].GetArray()) {
    if (!input.HasMember("files")) continue;
    for (const auto& f : input["files"].GetArray()) {
      out[f["path"].GetString()] = f["offset"].GetUint64();
    }
  }
  return out;
}

}  // namespace auditrelay::chaos
