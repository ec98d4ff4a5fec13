// Shared helpers of the buffer tests: batches with recognizable records, reading a whole
// queue back, the segment files of a queue directory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/buffer/disk_queue.h"
#include "agent/buffer/segment.h"
#include "agent/core/document.h"

namespace auditrelay::buffer::test {

// Records "id-<n>" for n in [first, first + count), JSON that compresses like real documents.
inline DocumentBatch make_batch(uint64_t first, size_t count, size_t pad = 40) {
  DocumentBatch batch;
  for (uint64_t n = first; n < first + count; ++n) {
    std::string json = R"({"event":{"id":"id-)" + std::to_string(n) + R"("},"message":")" +
                       std::string(pad, static_cast<char>('a' + n % 26)) + "\"}";
    batch.add("id-" + std::to_string(n), "logs-test-default", json);
  }
  return batch;
}

struct ReadRecord {
  uint64_t seq;
  std::string id;
  std::string json;
};

inline std::vector<ReadRecord> read_all(DiskQueue& queue, uint64_t from = 0) {
  std::vector<ReadRecord> out;
  while (auto frame = queue.read(from)) {
    for (size_t i = 0; i < frame->documents.size(); ++i) {
      DocumentView d = frame->documents[i];
      out.push_back({frame->first_seq + i, std::string(d.id), std::string(d.json)});
    }
    from = frame->next_seq;
  }
  return out;
}

inline std::vector<std::string> ids(const std::vector<ReadRecord>& records) {
  std::vector<std::string> out;
  for (const ReadRecord& r : records)
    out.push_back(r.id);
  return out;
}

inline std::vector<std::string> expected_ids(uint64_t first, uint64_t end) {
  std::vector<std::string> out;
  for (uint64_t n = first; n < end; ++n)
    out.push_back("id-" + std::to_string(n));
  return out;
}

inline std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::filesystem::path> segment_files(const std::filesystem::path& dir) {
  return files_in(segments_dir(dir));
}

}  // namespace auditrelay::buffer::test
