// The set of "<target>\0<id>" keys of indexed documents. Open addressing over
// (hash, offset) slots with the keys in one append-only arena: adding a new key costs about
// one cache miss, where std::unordered_set costs several plus an allocation or two (at a
// million ids that was ~0.9 of the fake's ~2 CPU-µs per document).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::fakes::es {

class IdSet {
 public:
  IdSet() { clear(); }
  // Returns false (and changes nothing) when the key is present.
  bool insert(std::string_view key);
  bool contains(std::string_view key) const { return find(key, hash(key)) != kNone; }
  // Starts loading the key's first slot into the cache: a bulk request's items prefetched a few
  // ahead of their insert overlap part of the table's cache misses (0.1 of the fake's ~1.1
  // CPU-µs a document; transparent huge pages for the table did not help further).
  void prefetch(std::string_view key) const {
    __builtin_prefetch(&slots_[hash(key) & (slots_.size() - 1)]);
  }
  bool erase(std::string_view key);
  size_t size() const { return size_; }
  void clear();
  // Sizes the table for `keys` keys of about `key_bytes` each and touches every page now, so
  // that adding them later neither rehashes nor copies the arena nor faults pages in (on a VM a
  // page fault costs several µs: growing to a million ids doubled the fake's CPU per document).
  void reserve(size_t keys, size_t key_bytes);

  // Calls fn(key) for every key, in insertion order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    size_t at = 0;
    while (at < arena_.size()) {
      uint32_t header;
      std::memcpy(&header, arena_.data() + at, sizeof(header));
      uint32_t length = header & ~kErased;
      if ((header & kErased) == 0) fn(std::string_view(arena_.data() + at + 4, length));
      at += 4 + length;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;    // 0: empty, 1: erased
    uint64_t offset = 0;  // of the key's length header in arena_
  };
  static constexpr uint64_t kEmpty = 0, kTombstone = 1;
  static constexpr size_t kNone = SIZE_MAX;
  static constexpr uint32_t kErased = 0x80000000u;

  static uint64_t hash(std::string_view key);
  std::string_view key_at(uint64_t offset) const;
  size_t find(std::string_view key, uint64_t h) const;  // slot index or kNone
  void grow();
  void rehash(size_t slots);  // slots: a power of two

  std::vector<Slot> slots_;
  size_t size_ = 0;
  size_t occupied_ = 0;  // keys and tombstones
  std::string arena_;    // [uint32 length | erased flag][bytes]...
};

}  // namespace auditrelay::fakes::es
