#include "plugins/in_tail/file_tailer.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace auditrelay {

namespace {

const CommittedOffset* find_committed(const std::vector<CommittedOffset>& committed,
                                      const FileIdentity& identity) {
  for (const auto& c : committed) {
    if (c.stored.identity == identity) return &c;
  }
  return nullptr;
}

FileIdentity identity_of(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

}  // namespace

FileTailer::~FileTailer() {
  for (auto& f : files_) {
    if (f.fd >= 0) ::close(f.fd);
  }
}

bool FileTailer::excluded(const std::string& path) const {
  return std::any_of(options_.excludes.begin(), options_.excludes.end(), [&](const auto& p) {
    return ::fnmatch(p.c_str(), path.c_str(), FNM_PATHNAME) == 0;
  });
}

TailCycle FileTailer::run_cycle(const std::vector<CommittedOffset>& committed, bool start_at_end,
                                int64_t now_ms) {
  TailCycle cycle;
  rescan(committed, start_at_end, now_ms, cycle);
  size_t budget = options_.cycle_budget_bytes;
  // Start each cycle one file further, so a file with a large backlog cannot starve the rest.
  if (!files_.empty()) {
    first_file_ = (first_file_ + 1) % files_.size();
    for (size_t i = 0; i < files_.size(); ++i) {
      read_file(files_[(first_file_ + i) % files_.size()], committed, now_ms, budget, cycle);
    }
  }
  std::erase_if(files_, [](const File& f) { return f.released; });
  for (const File& f : files_) {
    cycle.files.push_back({{f.identity, f.fingerprint, f.start_offset, f.path}, f.generation});
    cycle.followed.push_back({f.identity, f.generation, f.path, f.size, f.gone});
  }
  return cycle;
}

void FileTailer::rescan(const std::vector<CommittedOffset>& committed, bool start_at_end,
                        int64_t now_ms, TailCycle& cycle) {
  std::vector<std::pair<std::string, FileIdentity>> found;
  for (const auto& pattern : options_.patterns) {
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string path = g.gl_pathv[i];
        struct stat st {};
        if (excluded(path) || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        FileIdentity id = identity_of(st);
        bool seen =
            std::any_of(found.begin(), found.end(), [&](auto& p) { return p.second == id; });
        if (!seen) found.emplace_back(std::move(path), id);
      }
    }
    ::globfree(&g);
  }

  for (File& f : files_) {
    auto it =
        std::find_if(found.begin(), found.end(), [&](auto& p) { return p.second == f.identity; });
    if (it != found.end()) {
      f.path = it->first;  // renamed to a name that still matches: same file, same offsets
      f.gone = false;
      continue;
    }
    if (f.gone) continue;
    f.gone = true;
    f.gone_since_ms = now_ms;
    struct stat st {};
    bool deleted = ::fstat(f.fd, &st) == 0 && st.st_nlink == 0;
    cycle.events.push_back({deleted ? TailEvent::Kind::kDeleted : TailEvent::Kind::kRotated,
                            f.path,
                            f.cursor.offset,
                            {}});
  }

  for (const auto& [path, identity] : found) {
    const FileIdentity& id = identity;  // clang 14 cannot capture a structured binding
    bool known =
        std::any_of(files_.begin(), files_.end(), [&](const File& f) { return f.identity == id; });
    if (!known) open_new(path, identity, committed, start_at_end, cycle);
  }
}

void FileTailer::open_new(const std::string& path, const FileIdentity& identity,
                          const std::vector<CommittedOffset>& committed, bool start_at_end,
                          TailCycle& cycle) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    cycle.events.push_back({TailEvent::Kind::kError, path, 0, std::strerror(errno)});
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !(identity_of(st) == identity)) {
    ::close(fd);  // replaced between glob and open: the next scan sees the new one
    return;
  }
  File f;
  f.identity = identity;
  f.fd = fd;
  f.path = path;
  const CommittedOffset* c = find_committed(committed, identity);
  if (c == nullptr) c = find_committed(released_, identity);  // released, then back again
  bool resumed = false;
  if (c != nullptr) {
    const auto& stored_fp = c->stored.fingerprint;
    auto current = stored_fp ? compute_fingerprint(fd, stored_fp->length) : std::nullopt;
    if (!stored_fp || current == stored_fp) {
      f.generation = c->generation;
      f.fingerprint = stored_fp;
      f.start_offset = c->stored.offset;
      resumed = true;
    } else {
      f.generation = c->generation + 1;  // a reused inode: a different file
    }
  }
  if (!resumed) f.start_offset = start_at_end ? static_cast<uint64_t>(st.st_size) : 0;
  f.cursor.offset = f.start_offset;
  if (f.fingerprint) f.id_key = file_id_key(identity, *f.fingerprint);
  cycle.events.push_back(
      {TailEvent::Kind::kOpened, path, f.start_offset, resumed ? "resumed" : ""});
  files_.push_back(std::move(f));
}

void FileTailer::remember_released(const File& f) {
  std::erase_if(released_,
                [&](const CommittedOffset& c) { return c.stored.identity == f.identity; });
  released_.push_back({{f.identity, f.fingerprint, f.cursor.offset, f.path}, f.generation});
  if (released_.size() > kRememberedReleases) released_.erase(released_.begin());
}

bool FileTailer::check_truncation(File& f, uint64_t size, TailCycle& cycle) {
  bool truncated = size < f.cursor.offset;
  if (!truncated && f.fingerprint) {
    truncated = compute_fingerprint(f.fd, f.fingerprint->length) != f.fingerprint;
  }
  if (!truncated) return false;
  cycle.events.push_back({TailEvent::Kind::kTruncated, f.path, f.cursor.offset, {}});
  ++f.generation;
  f.cursor = LineCursor{};
  f.fingerprint.reset();
  f.id_key.clear();
  f.start_offset = 0;
  return true;
}

void FileTailer::read_file(File& f, const std::vector<CommittedOffset>& committed, int64_t now_ms,
                           size_t& budget, TailCycle& cycle) {
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    cycle.events.push_back(
        {TailEvent::Kind::kError, f.path, f.cursor.offset, std::strerror(errno)});
    return;
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  f.size = size;
  check_truncation(f, size, cycle);
  // A renamed or deleted file is read for rotate_wait more (its writer may not have reopened
  // yet); after that it is final: an unterminated last line is taken as it is.
  bool final = f.gone && now_ms - f.gone_since_ms >= options_.rotate_wait_ms;
  if (!f.fingerprint) {
    f.fingerprint = compute_fingerprint(f.fd, std::nullopt);
    if (!f.fingerprint && final && size > 0) {
      f.fingerprint = compute_fingerprint(
          f.fd, static_cast<uint32_t>(std::min<uint64_t>(size, kFingerprintBytes)));
    }
    if (f.fingerprint) f.id_key = file_id_key(f.identity, *f.fingerprint);
  }

  if (f.fingerprint && size > f.cursor.offset && budget == 0) cycle.more = true;
  if (f.fingerprint && size > f.cursor.offset && budget > 0) {
    uint64_t available = size - f.cursor.offset;
    // At least one whole maximal line, so a long line can always complete.
    size_t limit = std::max(budget, options_.max_record_bytes + 2);
    size_t want = static_cast<size_t>(std::min<uint64_t>(available, limit));
    budget -= std::min(budget, want);
    std::string& data = cycle.batch.data();
    size_t begin = data.size();
    data.resize(begin + want);
    ssize_t n = ::pread(f.fd, data.data() + begin, want, static_cast<off_t>(f.cursor.offset));
    if (n < 0) {
      data.resize(begin);
      cycle.events.push_back(
          {TailEvent::Kind::kError, f.path, f.cursor.offset, std::strerror(errno)});
      return;
    }
    data.resize(begin + static_cast<size_t>(n));
    // copytruncate may have rewritten the file while we read: then what we read may be the new
    // content at the old offset. Check the fingerprint again and drop the read if it changed.
    if (f.fingerprint && compute_fingerprint(f.fd, f.fingerprint->length) != f.fingerprint) {
      data.resize(begin);
      check_truncation(f, 0, cycle);
      cycle.more = true;
      return;
    }
    uint64_t read_end = f.cursor.offset + static_cast<uint64_t>(n);
    if (read_end < size) cycle.more = true;
    uint32_t source = cycle.batch.add_source({f.path, f.id_key});
    LineScan scan = scan_lines(cycle.batch, begin, source, f.cursor, options_.max_record_bytes,
                               final && read_end == size);
    if (scan.records > 0) cycle.progress.push_back({f.identity, f.generation, scan.emitted_until});
  }

  if (final && f.cursor.offset >= size && !f.cursor.skipping) {
    const CommittedOffset* c = find_committed(committed, f.identity);
    bool acknowledged =
        c != nullptr && c->generation == f.generation && c->stored.offset >= f.cursor.offset;
    if (acknowledged || size == 0) {
      ::close(f.fd);
      f.fd = -1;
      f.released = true;
      remember_released(f);
      cycle.events.push_back({TailEvent::Kind::kReleased, f.path, f.cursor.offset, {}});
    }
  }
}

}  // namespace auditrelay
