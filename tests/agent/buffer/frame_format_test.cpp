#include "agent/buffer/frame_format.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/agent/buffer/buffer_test_support.h"

using namespace auditrelay;
using namespace auditrelay::buffer;

namespace {

void check_same(const DocumentBatch& a, const DocumentBatch& b, size_t skip = 0) {
  REQUIRE(b.size() == a.size() - skip);
  for (size_t i = 0; i < b.size(); ++i) {
    CHECK(b[i].id == a[i + skip].id);
    CHECK(b[i].index == a[i + skip].index);
    CHECK(b[i].json == a[i + skip].json);
  }
}

}  // namespace

TEST_CASE("a frame round-trips empty strings and arbitrary bytes") {
  DocumentBatch batch;
  batch.add("", "", "");
  std::string binary;
  for (int c = 0; c < 256; ++c)
    binary += static_cast<char>(c);
  batch.add(binary, std::string("\0\n\r", 3), binary + binary);
  batch.add("id", "logs-a-default", R"({"message":"x"})");
  FrameCodec codec(1);
  std::string bytes;
  FrameHeader written = codec.encode(batch, 0, batch.size(), 42, 1700000000123, bytes);
  REQUIRE(bytes.size() == written.frame_bytes());

  FrameHeader h;
  REQUIRE(parse_frame_header(bytes, h) == HeaderParse::kOk);
  CHECK(h.header_len == kFrameHeaderBytes);
  CHECK(h.first_seq == 42);
  CHECK(h.record_count == 3);
  CHECK(h.append_time_ms == 1700000000123);
  CHECK(h.payload_len == bytes.size() - kFrameHeaderBytes);
  DocumentBatch out;
  CHECK(codec.decode(h, std::string_view(bytes).substr(h.header_len), 0, out) == "");
  check_same(batch, out);

  SUBCASE("leaving out the first records") {
    DocumentBatch tail;
    CHECK(codec.decode(h, std::string_view(bytes).substr(h.header_len), 2, tail) == "");
    check_same(batch, tail, 2);
  }
}

TEST_CASE("the codec is reused across frames and levels stay readable by any codec") {
  for (int level : {-1, 1, 3, 19}) {
    FrameCodec writer(level), reader(1);
    for (uint64_t first : {0, 100, 200}) {
      DocumentBatch batch = test::make_batch(first, 100);
      std::string bytes;
      writer.encode(batch, 0, batch.size(), first, 0, bytes);
      FrameHeader h;
      REQUIRE(parse_frame_header(bytes, h) == HeaderParse::kOk);
      DocumentBatch out;
      REQUIRE(reader.decode(h, std::string_view(bytes).substr(h.header_len), 0, out) == "");
      check_same(batch, out);
    }
  }
}

TEST_CASE("every prefix of a header is incomplete, not bad; every changed byte is bad") {
  DocumentBatch batch = test::make_batch(0, 3);
  FrameCodec codec(1);
  std::string bytes;
  codec.encode(batch, 0, batch.size(), 7, 0, bytes);
  FrameHeader h;
  for (size_t n = 0; n < kFrameHeaderBytes; ++n) {
    CHECK(parse_frame_header(std::string_view(bytes).substr(0, n), h) == HeaderParse::kIncomplete);
  }
  for (size_t i = 0; i < kFrameHeaderBytes; ++i) {
    std::string changed = bytes;
    changed[i] = static_cast<char>(changed[i] ^ 0x10);
    HeaderParse p = parse_frame_header(changed, h);
    // A changed header_len may point past the bytes given: then it can only be "incomplete".
    CHECK(p != HeaderParse::kOk);
  }
  CHECK(parse_frame_header("XRQ1", h) == HeaderParse::kBad);
  CHECK(parse_frame_header("AX", h) == HeaderParse::kBad);
}

TEST_CASE("a payload that does not match its checksum is refused") {
  DocumentBatch batch = test::make_batch(0, 10);
  FrameCodec codec(1);
  std::string bytes;
  codec.encode(batch, 0, batch.size(), 0, 0, bytes);
  FrameHeader h;
  REQUIRE(parse_frame_header(bytes, h) == HeaderParse::kOk);
  bytes[bytes.size() - 1] = static_cast<char>(bytes.back() ^ 1);
  DocumentBatch out;
  CHECK(codec.decode(h, std::string_view(bytes).substr(h.header_len), 0, out) ==
        "payload checksum mismatch");
  CHECK(out.empty());
}

TEST_CASE("raw records with lengths that do not add up are refused and add nothing") {
  DocumentBatch batch = test::make_batch(0, 2);
  const std::string raw(batch.records(0, 2));
  DocumentBatch out;
  CHECK(parse_raw_records(raw, 2, 0, out));
  CHECK(out.size() == 2);
  out.clear();
  CHECK_FALSE(parse_raw_records(raw, 3, 0, out));
  CHECK_FALSE(parse_raw_records(raw, 1, 0, out));
  CHECK_FALSE(parse_raw_records(raw.substr(0, raw.size() - 1), 2, 0, out));
  std::string huge = raw;
  huge[8] = '\xff';  // json_len of the first record
  CHECK_FALSE(parse_raw_records(huge, 2, 0, out));
  CHECK(out.empty());

  // The same when the batch takes the bytes as its memory.
  CHECK(adopt_raw_records(raw, 2, out));
  CHECK(out.size() == 2);
  CHECK(out[1].json == batch[1].json);
  out.clear();
  CHECK_FALSE(adopt_raw_records(raw, 3, out));
  CHECK(out.empty());
  CHECK_FALSE(adopt_raw_records(raw, 1, out));
  CHECK(out.empty());
  CHECK_FALSE(adopt_raw_records(raw.substr(0, raw.size() - 1), 2, out));
  CHECK(out.empty());
  CHECK_FALSE(adopt_raw_records(huge, 2, out));
  CHECK(out.empty());
}

TEST_CASE("a large batch is split into frames of bounded size") {
  DocumentBatch batch = test::make_batch(0, 3000, 2000);  // about 6 MB
  auto ranges = split_batch(batch);
  REQUIRE(ranges.size() >= 2);
  size_t next = 0;
  for (auto [begin, end] : ranges) {
    CHECK(begin == next);
    CHECK(end > begin);
    CHECK(batch.records(begin, end).size() <= kMaxFrameRawBytes);
    next = end;
  }
  CHECK(next == batch.size());

  DocumentBatch single;
  single.add("big", "i", std::string(kMaxFrameRawBytes + 10, 'x'));
  single.add("small", "i", "{}");
  CHECK(split_batch(single) == std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 2}});
}
