#include "agent/buffer/segment_scan.h"

#include <doctest/doctest.h>

#include "tests/agent/buffer/buffer_test_support.h"

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
    DocumentBatch batch = test::make_batch(f * 5, 5);
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
