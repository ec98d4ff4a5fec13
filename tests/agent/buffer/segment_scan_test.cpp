#include "agent/buffer/segment_scan.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include "tests/agent/buffer/buffer_test_support.h"
#include "tests/support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::buffer;
using namespace std::string_literals;

namespace {

// Three frames of 5 records each, seqs 0..14; `starts` gets each frame's offset.
std::string three_frames(std::vector<size_t>& starts) {
  FrameCodec codec(1);
  std::string bytes;
  for (uint64_t f = 0; f < 3; ++f) {
    starts.push_back(bytes.size());
    DocumentBatch batch = buffer::test::make_batch(f * 5, 5);
    codec.encode(batch, 0, batch.size(), f * 5, 0, bytes);
  }
  starts.push_back(bytes.size());
  return bytes;
}

}  // namespace

TEST_CASE("a clean segment scans into its frames") {
  std::vector<size_t> starts;
  std::string bytes = three_frames(starts);
  SegmentScan scan = scan_segment(bytes, true, 0);
  REQUIRE(scan.frames.size() == 3);
  CHECK(scan.corrupt.empty());
  CHECK(scan.torn_bytes == 0);
  CHECK(scan.torn_at == bytes.size());
  CHECK(scan.frames[2].offset == starts[2]);
  CHECK(scan.frames[2].header.first_seq == 10);
}

TEST_CASE("an unfinished last frame is torn in the last segment and corrupt in any other") {
  std::vector<size_t> starts;
  std::string bytes = three_frames(starts);
  for (size_t cut = starts[2] + 1; cut < bytes.size(); ++cut) {
    std::string_view part = std::string_view(bytes).substr(0, cut);
    SegmentScan last = scan_segment(part, true, 0);
    CHECK(last.frames.size() == 2);
    CHECK(last.corrupt.empty());
    CHECK(last.torn_at == starts[2]);
    CHECK(last.torn_bytes == cut - starts[2]);
    SegmentScan middle = scan_segment(part, false, 0);
    CHECK(middle.frames.size() == 2);
    REQUIRE(middle.corrupt.size() == 1);
    CHECK(middle.corrupt[0].offset == starts[2]);
    CHECK(middle.corrupt[0].length == cut - starts[2]);
  }
}

TEST_CASE("garbage between frames is one corrupt range; the frames after it are found") {
  std::vector<size_t> starts;
  std::string bytes = three_frames(starts);
  std::string garbage = "ARQ1\x30\0\0\0 not a header at all, A, AR, ARQ"s;
  bytes.insert(starts[1], garbage);
  SegmentScan scan = scan_segment(bytes, true, 0);
  CHECK(scan.frames.size() == 3);
  REQUIRE(scan.corrupt.size() == 1);
  CHECK(scan.corrupt[0].offset == starts[1]);
  CHECK(scan.corrupt[0].length == garbage.size());
  CHECK(scan.torn_bytes == 0);
}

TEST_CASE("a frame whose sequence numbers go back is not believed") {
  std::vector<size_t> starts;
  std::string bytes = three_frames(starts);
  SegmentScan scan = scan_segment(bytes, true, 5);  // the previous segment ended at 5
  CHECK(scan.frames.size() == 2);
  REQUIRE(scan.corrupt.size() == 1);
  CHECK(scan.corrupt[0].offset == 0);
}

namespace {

// Every finding of two scans, as one comparable text.
std::string describe(const SegmentScan& scan) {
  std::string out;
  for (const ScannedFrame& f : scan.frames)
    out +=
        "frame@" + std::to_string(f.offset) + " seq " + std::to_string(f.header.first_seq) + "\n";
  for (const CorruptRange& c : scan.corrupt)
    out += "corrupt@" + std::to_string(c.offset) + "+" + std::to_string(c.length) + " " + c.reason +
           "\n";
  out += "torn@" + std::to_string(scan.torn_at) + "+" + std::to_string(scan.torn_bytes) +
         " damaged_end " + std::to_string(scan.damaged_end_seq);
  return out;
}

// `bytes` in a file of a temporary directory, open for reading.
class SegmentFile {
 public:
  explicit SegmentFile(const std::string& bytes) {
    const std::filesystem::path path = tmp_.path() / "segment";
    auditrelay::test::write_file(path, bytes);
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd_ >= 0);
  }
  ~SegmentFile() { ::close(fd_); }
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;
  int fd() const { return fd_; }

 private:
  auditrelay::test::TempDir tmp_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("a segment read from its file through any window scans as it does in memory") {
  // Frames, garbage (with false starts of a header), a flipped payload byte and a torn end:
  // every read the scan makes, at window sizes from one byte up, must see the same bytes.
  std::vector<size_t> starts;
  std::string bytes = three_frames(starts);
  bytes[starts[1] + 60] = static_cast<char>(bytes[starts[1] + 60] ^ 0x55);
  bytes.insert(starts[2], "ARQ1\x30\0\0\0 not a header, A, AR, ARQ"s + std::string(3000, 'x'));
  const std::string frame_start = bytes.substr(0, 30);
  bytes += frame_start;  // cut short
  const SegmentFile segment(bytes);
  for (const bool last : {true, false}) {
    const std::string expected = describe(scan_segment(bytes, last, 0));
    CHECK(expected.find("corrupt") != std::string::npos);
    for (const size_t window : {size_t{1}, size_t{7}, size_t{100}, size_t{4096}, size_t{1} << 20}) {
      CAPTURE(last);
      CAPTURE(window);
      FileBytes file(segment.fd(), bytes.size(), window);
      CHECK(describe(scan_segment(file, last, 0)) == expected);
    }
  }
}

TEST_CASE("scanning a segment file holds about a frame of it in memory, not the file") {
  FrameCodec codec(1);
  std::string bytes;
  size_t largest = 0;
  for (uint64_t f = 0; f < 2000; ++f) {
    const size_t before = bytes.size();
    DocumentBatch batch = buffer::test::make_batch(f * 5, 5);
    codec.encode(batch, 0, batch.size(), f * 5, 0, bytes);
    largest = std::max(largest, bytes.size() - before);
  }
  const SegmentFile segment(bytes);
  constexpr size_t kWindow = 8192;
  FileBytes file(segment.fd(), bytes.size(), kWindow);
  const SegmentScan scan = scan_segment(file, true, 0);
  CHECK(scan.frames.size() == 2000);
  CHECK(scan.corrupt.empty());
  // std::string may round its capacity up to twice what was asked.
  CHECK(file.memory() <= 2 * std::max({kWindow, largest, size_t{kMaxFrameHeaderBytes}}));
  CHECK(file.memory() < bytes.size() / 10);
}

TEST_CASE("a file shorter than its expected size fails the scan, not a wrong result") {
  std::vector<size_t> starts;
  const std::string bytes = three_frames(starts);
  const SegmentFile segment(bytes);
  FileBytes file(segment.fd(), bytes.size() + 100, 64);
  CHECK_THROWS_AS(scan_segment(file, true, 0), std::runtime_error);
}
