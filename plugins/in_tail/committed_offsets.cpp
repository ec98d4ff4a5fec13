#include "plugins/in_tail/committed_offsets.h"

namespace auditrelay {
namespace {

bool same(const StoredOffset& a, const StoredOffset& b) {
  return a.identity == b.identity && a.offset == b.offset && a.fingerprint == b.fingerprint &&
         a.path == b.path;
}

}  // namespace

void CommittedOffsets::load(std::vector<StoredOffset> stored) {
  entries_.clear();
  for (auto& s : stored)
    entries_.push_back({std::move(s), 0});
}

bool CommittedOffsets::sync(const std::vector<CommittedOffset>& files) {
  std::vector<CommittedOffset> next;
  next.reserve(files.size());
  for (const auto& f : files) {
    CommittedOffset entry = f;
    for (const auto& c : entries_) {
      if (c.stored.identity == f.stored.identity && c.generation == f.generation) {
        entry.stored.offset = c.stored.offset;
      }
    }
    next.push_back(std::move(entry));
  }
  bool changed = next.size() != entries_.size();
  for (size_t i = 0; !changed && i < next.size(); ++i) {
    changed = !same(next[i].stored, entries_[i].stored);
  }
  entries_ = std::move(next);
  return changed;
}

bool CommittedOffsets::acknowledge(const std::vector<FileProgress>& progress) {
  bool changed = false;
  for (const auto& p : progress) {
    for (auto& c : entries_) {
      if (c.stored.identity == p.identity && c.generation == p.generation &&
          p.emitted_until > c.stored.offset) {
        c.stored.offset = p.emitted_until;
        changed = true;
      }
    }
  }
  return changed;
}

std::vector<StoredOffset> CommittedOffsets::stored() const {
  std::vector<StoredOffset> out;
  out.reserve(entries_.size());
  for (const auto& c : entries_)
    out.push_back(c.stored);
  return out;
}

}  // namespace auditrelay
