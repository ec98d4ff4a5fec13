// The two pure steps of making a batch, run on a worker thread by the BatchDriver: filling it
// from the disk queue, then cutting it into requests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/buffer/disk_queue.h"
#include "agent/core/document.h"
#include "agent/delivery/batch_output.h"

namespace auditrelay::delivery {

struct BatchLimits {
  uint32_t max_records = 500;
  uint64_t max_bytes = 5ull << 20;
};

// What fill_from_queue keeps from one call to the next: the rest of the last frame read, and
// the memory of the one before, which the next frame is decoded into.
struct FrameCarry {
  std::optional<buffer::ReadFrame> frame;
  std::string storage;
};

// Whether `docs` has room for more under `limits`.
bool has_room(const DocumentBatch& docs, const BatchLimits& limits);

// Appends documents from `next_seq` on while `docs` has room, advancing `next_seq`: a batch
// holds at most max_records documents (and max_bytes, or one document), however large the
// buffer's frames. A frame read but not used up is kept in `carry` for the next call, so each
// frame is read and decompressed once; a whole frame that fits an empty batch is moved, not
// copied. Returns true when it reached the end of the queue.
bool fill_from_queue(buffer::DiskQueue& queue, uint64_t& next_seq, DocumentBatch& docs,
                     const BatchLimits& limits, FrameCarry& carry);

// The documents `output` wants, as lists of indexes of at most max_records documents and
// max_bytes each (a single larger document gets a list of its own).
std::vector<std::vector<uint32_t>> split_into_requests(const DocumentBatch& docs,
                                                       const BatchOutput& output,
                                                       const BatchLimits& limits);

}  // namespace auditrelay::delivery
