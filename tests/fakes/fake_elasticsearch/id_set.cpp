#include "tests/fakes/fake_elasticsearch/id_set.h"

#include <algorithm>
#include <functional>

namespace auditrelay::fakes::es {
namespace {

constexpr size_t kInitialSlots = 1 << 16;

}  // namespace

uint64_t IdSet::hash(std::string_view key) {
  uint64_t h = std::hash<std::string_view>{}(key);
  return h < 2 ? h + 2 : h;  // 0 and 1 mark empty and erased slots
}

std::string_view IdSet::key_at(uint64_t offset) const {
  uint32_t header;
  std::memcpy(&header, arena_.data() + offset, sizeof(header));
  return std::string_view(arena_.data() + offset + 4, header & ~kErased);
}

size_t IdSet::find(std::string_view key, uint64_t h) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.hash == kEmpty) return kNone;
    if (slot.hash == h && key_at(slot.offset) == key) return i;
  }
}

bool IdSet::insert(std::string_view key) {
  uint64_t h = hash(key);
  size_t mask = slots_.size() - 1;
  size_t free_slot = kNone;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.hash == kEmpty) {
      if (free_slot == kNone) free_slot = i;
      break;
    }
    if (slot.hash == kTombstone && free_slot == kNone) free_slot = i;
    if (slot.hash == h && key_at(slot.offset) == key) return false;
  }
  bool reuses_tombstone = slots_[free_slot].hash == kTombstone;
  uint32_t length = static_cast<uint32_t>(key.size());
  slots_[free_slot] = Slot{h, arena_.size()};
  arena_.append(reinterpret_cast<const char*>(&length), sizeof(length));
  arena_.append(key);
  ++size_;
  if (!reuses_tombstone && ++occupied_ * 10 >= slots_.size() * 7) grow();
  return true;
}

bool IdSet::erase(std::string_view key) {
  size_t i = find(key, hash(key));
  if (i == kNone) return false;
  uint32_t header;
  std::memcpy(&header, arena_.data() + slots_[i].offset, sizeof(header));
  header |= kErased;
  std::memcpy(arena_.data() + slots_[i].offset, &header, sizeof(header));
  slots_[i].hash = kTombstone;
  --size_;
  return true;
}

void IdSet::grow() {
  // Doubles, or, when mostly tombstones, just rebuilds.
  rehash(size_ * 10 >= slots_.size() * 3 ? slots_.size() * 2 : slots_.size());
}

void IdSet::rehash(size_t slots) {
  // Hashes are kept, so no key is read.
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(slots, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.hash < 2) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].hash != kEmpty)
      i = (i + 1) & mask;
    slots_[i] = slot;
  }
  occupied_ = size_;
}

void IdSet::reserve(size_t keys, size_t key_bytes) {
  size_t slots = kInitialSlots;
  while (slots * 7 <= keys * 10)
    slots *= 2;
  if (slots > slots_.size()) rehash(slots);
  size_t bytes = keys * (4 + key_bytes);
  if (bytes > arena_.capacity()) {
    size_t used = arena_.size();
    arena_.resize(bytes);  // writes every byte: the pages are faulted in here
    arena_.resize(used);
  }
}

void IdSet::clear() {
  // The table and the arena keep their size: a benchmark resets the fake between runs of the
  // same size, and growing them again (rehashing, faulting pages in) would be measured as the
  // sink's cost in every run.
  slots_.assign(std::max(slots_.size(), kInitialSlots), Slot{});
  arena_.clear();
  size_ = 0;
  occupied_ = 0;
}

}  // namespace auditrelay::fakes::es
