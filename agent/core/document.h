// Normalized documents in batches: id, target data stream and JSON body of each, stored in
// one buffer in the record layout of the disk buffer's frames (buffer/frame_format.h), so that
// a run of documents is compressed where it lies, without being copied out first.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/little_endian.h"

namespace auditrelay {

// Each document in a batch's bytes: u32 id size, u32 index size, u32 json size (little-endian),
// then the id, index and json, back to back; and the documents one after another.
inline constexpr size_t kDocumentPrefixBytes = 12;

struct DocumentView {
  std::string_view id;     // event.id: the Elasticsearch _id, webhook id, HEC dedup key
  std::string_view index;  // data stream name: logs-<dataset>-<namespace>
  std::string_view json;   // the document, one line, no trailing newline
};

class DocumentBatch {
 public:
  void add(std::string_view id, std::string_view index, std::string_view json) {
    char prefix[kDocumentPrefixBytes];
    put_u32(prefix, static_cast<uint32_t>(id.size()));
    put_u32(prefix + 4, static_cast<uint32_t>(index.size()));
    put_u32(prefix + 8, static_cast<uint32_t>(json.size()));
    const size_t offset = data_.size() + kDocumentPrefixBytes;
    data_.append(prefix, sizeof prefix);
    data_.append(id);
    data_.append(index);
    data_.append(json);
    add_in_place(offset, static_cast<uint32_t>(id.size()), static_cast<uint32_t>(index.size()),
                 json.size());
  }
  // Documents [begin, end) of `from`, copied in one piece.
  void append(const DocumentBatch& from, size_t begin, size_t end) {
    if (begin == end) return;
    const std::string_view bytes = from.records(begin, end);
    const size_t shift = data_.size() - (from.entries_[begin].offset - kDocumentPrefixBytes);
    data_.append(bytes);
    for (size_t i = begin; i < end; ++i) {
      const Entry& e = from.entries_[i];
      add_in_place(e.offset + shift, e.id_size, e.index_size, e.json_size);
    }
  }
  // Room for `count` more documents of `bytes` in all, so that filling a large batch does not
  // copy it over and over as it grows.
  void reserve(size_t bytes, size_t count) {
    data_.reserve(data_.size() + bytes + count * kDocumentPrefixBytes);
    entries_.reserve(entries_.size() + count);
  }
  // Takes `data` as the batch's bytes (the batch must be empty); the `count` documents laid out
  // in it as above are then added with add_in_place(), in order, without a copy.
  void adopt(std::string data, size_t count) {
    data_ = std::move(data);
    entries_.clear();
    entries_.reserve(count);
    bytes_ = 0;
  }
  // The document whose id starts at `offset`, just after its prefix and the previous document.
  void add_in_place(size_t offset, uint32_t id_size, uint32_t index_size, size_t json_size) {
    assert(offset == (entries_.empty() ? kDocumentPrefixBytes
                                       : end_of(entries_.back()) + kDocumentPrefixBytes));
    entries_.push_back(Entry{offset, id_size, index_size, json_size});
    bytes_ += id_size + index_size + json_size;
  }
  DocumentView operator[](size_t i) const {
    const Entry& e = entries_[i];
    const char* p = data_.data() + e.offset;
    return {
        {p, e.id_size}, {p + e.id_size, e.index_size}, {p + e.id_size + e.index_size, e.json_size}};
  }
  // Every document's bytes in one string, so a reader may see what follows a document.
  std::string_view bytes_view() const { return data_; }
  // Documents [begin, end) in the layout above, prefixes included: a frame's raw payload.
  std::string_view records(size_t begin, size_t end) const {
    if (begin == end) return {};
    const size_t from = entries_[begin].offset - kDocumentPrefixBytes;
    return std::string_view(data_).substr(from, end_of(entries_[end - 1]) - from);
  }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  size_t bytes() const { return bytes_; }  // of ids, targets and documents
  // Empties the batch and hands over its memory, size and all: a frame decoded into it
  // (DiskQueue::read) neither allocates nor zero-fills what it overwrites anyway.
  std::string release() {
    std::string data = std::move(data_);
    clear();
    return data;
  }
  void clear() {
    data_.clear();
    entries_.clear();
    bytes_ = 0;
  }

 private:
  struct Entry {
    size_t offset;
    uint32_t id_size;
    uint32_t index_size;
    size_t json_size;
  };
  static size_t end_of(const Entry& e) { return e.offset + e.id_size + e.index_size + e.json_size; }

  std::string data_;
  size_t bytes_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace auditrelay
