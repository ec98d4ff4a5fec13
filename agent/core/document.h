// Normalized documents in batches: id, target data stream and JSON body of each, stored in
// one buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay {

struct DocumentView {
  std::string_view id;     // event.id: the Elasticsearch _id, webhook id, HEC dedup key
  std::string_view index;  // data stream name: logs-<dataset>-<namespace>
  std::string_view json;   // the document, one line, no trailing newline
};

class DocumentBatch {
 public:
  void add(std::string_view id, std::string_view index, std::string_view json) {
    Entry e{data_.size(), static_cast<uint32_t>(id.size()), static_cast<uint32_t>(index.size()),
            json.size()};
    data_.append(id);
    data_.append(index);
    data_.append(json);
    bytes_ += id.size() + index.size() + json.size();
    entries_.push_back(e);
  }
  // Room for `count` more documents of `bytes` in all, so that filling a large batch does not
  // copy it over and over as it grows.
  void reserve(size_t bytes, size_t count) {
    data_.reserve(data_.size() + bytes);
    entries_.reserve(entries_.size() + count);
  }
  // Takes `data` as the batch's bytes (the batch must be empty); documents already laid out in
  // it as id, index, json are then added with add_in_place(), without a copy.
  void adopt(std::string data) {
    data_ = std::move(data);
    entries_.clear();
    bytes_ = 0;
  }
  void add_in_place(size_t offset, uint32_t id_size, uint32_t index_size, size_t json_size) {
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
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  size_t bytes() const { return bytes_; }  // of ids, targets and documents
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
  std::string data_;
  size_t bytes_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace auditrelay
