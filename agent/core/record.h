// The unit of work between inputs and the normalizer: raw records, as read, in batches that
// share one byte buffer so a batch of thousands of lines costs a handful of allocations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay {

// Where records come from. `id_key` is the stable part of derived record ids (MAPPING.md §4):
// for a file, its inode and first-line fingerprint, so it survives renames and restarts.
struct RecordSource {
  std::string name;  // shown in dead-letter entries and logs: a path, or "http:<peer>"
  std::string id_key;
};

struct RawRecord {
  uint32_t source = 0;     // index into RawBatch::sources()
  uint64_t position = 0;   // byte offset of the record in its source
  size_t offset = 0;       // where its bytes start in RawBatch::data()
  size_t size = 0;         // how many bytes are kept in data()
  uint64_t full_size = 0;  // the record's real length; > size when it was cut (over the limit)
  bool truncated() const { return full_size > size; }
};

class RawBatch {
 public:
  uint32_t add_source(RecordSource source) {
    sources_.push_back(std::move(source));
    return static_cast<uint32_t>(sources_.size() - 1);
  }
  // Adds a record whose bytes are already in data() at [offset, offset+size).
  void add_record(uint32_t source, uint64_t position, size_t offset, size_t size,
                  uint64_t full_size) {
    records_.push_back(RawRecord{source, position, offset, size, full_size});
  }
  // Copies `bytes` into the batch and adds it as a record.
  void add_copy(uint32_t source, uint64_t position, std::string_view bytes) {
    size_t offset = data_.size();
    data_.append(bytes);
    add_record(source, position, offset, bytes.size(), bytes.size());
  }

  std::string_view bytes(const RawRecord& r) const { return {data_.data() + r.offset, r.size}; }
  // How many bytes of data() follow the record (a parser may read ahead into them).
  size_t readable_after(const RawRecord& r) const { return data_.size() - r.offset - r.size; }
  const RecordSource& source(const RawRecord& r) const { return sources_[r.source]; }

  // Empties the batch, keeping its memory for the next one.
  void clear() {
    sources_.clear();
    data_.clear();
    records_.clear();
  }

  std::string& data() { return data_; }
  const std::string& data() const { return data_; }
  const std::vector<RawRecord>& records() const { return records_; }
  const std::vector<RecordSource>& sources() const { return sources_; }
  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }

 private:
  std::vector<RecordSource> sources_;
  std::string data_;
  std::vector<RawRecord> records_;
};

}  // namespace auditrelay
