// Fuzzes the disk buffer's recovery: the input becomes segment file(s) of a fresh queue
// directory, the DiskQueue is opened (scan, repair, cursors) and every record read back, as
// an output would after a crash left anything at all on disk. Then the queue must still work
// (an append is read back) and a second open must find nothing left to repair.
//
// Input: byte 0 flags, byte 1 where a second segment file starts, byte 2 its name (1 + the byte),
// then the bytes. Flags: bit 0 recomputes the checksums of every plausible frame header (as a zstd
// payload the fuzzer makes can hardly match an XXH64 otherwise), bit 1 puts a known good frame
// first, which recovery must keep whatever follows it, bit 2 splits the bytes over two files.
#include <unistd.h>
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "agent/buffer/disk_queue.h"
#include "agent/buffer/frame_format.h"
#include "agent/buffer/segment.h"
#include "agent/core/log.h"

namespace {

namespace fs = std::filesystem;
using namespace auditrelay;

// Frames whose header claims more than this are left with their bad check: a valid check
// means the agent wrote the frame, and it never writes frames this large (kMaxFrameRawBytes
// plus one record); allowing them would only make the fuzzer spend its time in memset.
constexpr uint32_t kMaxFixedRawLen = 1u << 20;
// Likewise for sequence numbers: the agent numbers records from 0 one by one and never comes
// near 2^64 (2^62 is 146,000 years at a million records a second), so the queue need not
// handle appends that would wrap past it.
constexpr uint64_t kMaxFixedSeq = 1ull << 62;

uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint64_t get_u64(const char* p) {
  return get_u32(p) | (uint64_t{get_u32(p + 4)} << 32);
}

void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_u64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Makes the header check and payload checksum right for every "ARQ1" whose lengths fit the
// bytes, so the fuzzer reaches the payload decoding and the record layout checks.
void fix_checksums(std::string& bytes) {
  for (size_t pos = bytes.find(buffer::kFrameMagic); pos != std::string::npos;
       pos = bytes.find(buffer::kFrameMagic, pos + 1)) {
    if (bytes.size() - pos < buffer::kFrameHeaderBytes) break;
    char* p = bytes.data() + pos;
    const uint32_t header_len = get_u32(p + 4);
    if (header_len < buffer::kFrameHeaderBytes || header_len > buffer::kMaxFrameHeaderBytes ||
        header_len > bytes.size() - pos || get_u32(p + 12) > kMaxFixedRawLen ||
        get_u64(p + 20) > kMaxFixedSeq) {
      continue;
    }
    const uint32_t payload_len = get_u32(p + 8);
    if (payload_len <= bytes.size() - pos - header_len) {
      put_u64(p + 36, XXH64(p + header_len, payload_len, 0));
    }
    put_u32(p + header_len - 4, XXH32(p, header_len - 4, 0));
  }
}

DocumentBatch good_documents() {
  DocumentBatch batch;
  batch.add("id-1", "logs-fuzz-default", R"({"message":"kept"})");
  batch.add("id-2", "logs-fuzz-default", R"({"message":"kept too"})");
  return batch;
}

const std::string& good_frame() {
  static const std::string frame = [] {
    std::string out;
    buffer::FrameCodec codec(1);
    codec.encode(good_documents(), 0, 2, /*first_seq=*/0, /*append_time_ms=*/1, out);
    return out;
  }();
  return frame;
}

bool same(const DocumentView& a, const DocumentView& b) {
  return a.id == b.id && a.index == b.index && a.json == b.json;
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();  // the harness's own failure, not the product's
}

// tmpfs when there is one: recovery fsyncs, which would otherwise dominate each run.
fs::path work_dir() {
  fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  return base / ("auditrelay-buffer-fuzz-" + std::to_string(::getpid()));
}

buffer::QueueOptions options(const fs::path& dir) {
  buffer::QueueOptions o;
  o.dir = dir;
  o.sync = buffer::SyncMode::kNone;
  o.segment_bytes = 1 << 20;
  o.max_bytes = 64 << 20;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  configure_logging(LogLevel::kError, LogFormat::kText);
  // Removed at exit, and by run.sh should the process die first.
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(work_dir(), ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kHeaderBytes = 3;
  if (size < kHeaderBytes) return 0;
  const uint8_t flags = data[0];
  std::string bytes(reinterpret_cast<const char*>(data) + kHeaderBytes, size - kHeaderBytes);
  if ((flags & 0x1) != 0) fix_checksums(bytes);
  const bool with_good_frame = (flags & 0x2) != 0;
  if (with_good_frame) bytes.insert(0, good_frame());

  const fs::path dir = work_dir();
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(buffer::segments_dir(dir));
  // The good frame stays whole in the first file: the split falls after it.
  size_t split = bytes.size();
  if ((flags & 0x4) != 0) {
    split = std::min(bytes.size(), (with_good_frame ? good_frame().size() : 0) + data[1] * 16u);
  }
  write_file(buffer::segments_dir(dir) / buffer::segment_file_name(0), bytes.substr(0, split));
  if (split < bytes.size()) {
    // Named after the first file, as a later segment always is; its frames may still say
    // otherwise, which recovery must survive.
    write_file(buffer::segments_dir(dir) / buffer::segment_file_name(1u + data[2]),
               bytes.substr(split));
  }

  buffer::RecoveryReport report;
  std::unique_ptr<buffer::DiskQueue> queue =
      buffer::DiskQueue::open(options(dir), {"out"}, &report);
  uint64_t seq = 0;
  bool first = true;
  while (std::optional<buffer::ReadFrame> frame = queue->read(seq)) {
    // An output reading from `seq` must always move forward, or it would loop for ever.
    if (frame->next_seq <= seq || frame->first_seq < seq ||
        frame->next_seq - frame->first_seq != frame->documents.size()) {
      std::abort();
    }
    if (first && with_good_frame) {
      const DocumentBatch good = good_documents();
      if (frame->first_seq != 0 || frame->documents.size() != good.size()) std::abort();
      for (size_t i = 0; i < good.size(); ++i) {
        if (!same(frame->documents[i], good[i])) std::abort();
      }
    }
    first = false;
    seq = frame->next_seq;
  }
  if (first && with_good_frame) std::abort();  // the good frame was lost

  // The recovered queue goes on: an append after it is read back as it was written.
  const DocumentBatch appended = good_documents();
  uint64_t appended_at = 0;
  if (queue->append(appended, &appended_at) != buffer::AppendResult::kAppended) std::abort();
  if (appended_at < seq) std::abort();  // a sequence number handed out twice
  std::optional<buffer::ReadFrame> back = queue->read(appended_at);
  if (!back || back->first_seq != appended_at || back->documents.size() != appended.size() ||
      !same(back->documents[0], appended[0])) {
    std::abort();
  }
  queue->commit("out", seq);
  queue.reset();

  // Recovery repairs once: what it left (plus the append) is clean at the next open.
  buffer::RecoveryReport again;
  queue = buffer::DiskQueue::open(options(dir), {"out"}, &again);
  if (again.corrupt_frames != 0 || again.torn_bytes_cut != 0) std::abort();
  return 0;
}
