#include "plugins/in_http/request_body.h"

#include <doctest/doctest.h>
#include <zlib.h>
#include <zstd.h>

using namespace auditrelay::http_input;

namespace {

std::vector<std::string> records(const std::string& body, BodyFormat format, char shape) {
  SplitBody split = split_body(body, format);
  CHECK(split.error == "");
  CHECK(split.shape == shape);
  std::vector<std::string> out;
  for (const RecordSpan& s : split.records)
    out.push_back(body.substr(s.offset, s.size));
  return out;
}

std::string gzip(const std::string& data) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

}  // namespace

TEST_CASE("Content-Type picks the format; unknown types are refused") {
  CHECK(body_format("application/json") == BodyFormat::kJson);
  CHECK(body_format("Application/JSON; charset=utf-8") == BodyFormat::kJson);
  CHECK(body_format("application/x-ndjson") == BodyFormat::kLines);
  CHECK(body_format("application/jsonl") == BodyFormat::kLines);
  CHECK(body_format("") == BodyFormat::kSniff);
  CHECK(body_format("application/vnd.audit+json") == BodyFormat::kSniff);
  CHECK_FALSE(body_format("text/plain").has_value());
  CHECK_FALSE(body_format("multipart/form-data; boundary=x").has_value());
  CHECK(body_encoding("") == Encoding::kIdentity);
  CHECK(body_encoding("GZIP") == Encoding::kGzip);
  CHECK(body_encoding("zstd") == Encoding::kZstd);
  CHECK_FALSE(body_encoding("br").has_value());
}

TEST_CASE("an array is split into its elements' exact bytes") {
  std::string body = R"( [ {"a": [1, {"b": "]"}]} ,{"c":"x,y"}, 7, "s" , null ,[1,2]] )";
  auto r = records(body, BodyFormat::kJson, 'a');
  REQUIRE(r.size() == 6);
  CHECK(r[0] == R"({"a": [1, {"b": "]"}]})");
  CHECK(r[1] == R"({"c":"x,y"})");
  CHECK(r[2] == "7");
  CHECK(r[3] == "\"s\"");
  auto esc = records(R"(["a\"b,]\\", 1.5e3])", BodyFormat::kJson, 'a');
  REQUIRE(esc.size() == 2);
  CHECK(esc[0] == R"("a\"b,]\\")");
  CHECK(esc[1] == "1.5e3");
  CHECK(r[4] == "null");
  CHECK(r[5] == "[1,2]");
  CHECK(records("[]", BodyFormat::kJson, 'a').empty());
  // Sniffing finds the array too.
  CHECK(records("\n[{\"a\":1},{\"b\":2}]\n", BodyFormat::kSniff, 'a').size() == 2);
}

TEST_CASE("a broken array is an error, never a partial split") {
  for (const std::string& body : std::vector<std::string>{
           "[{\"a\":1}, {\"b\":", "[{\"a\":1}] trailing", "[1,,2]", std::string("[1]\0[2]", 7)}) {
    SplitBody split = split_body(body, BodyFormat::kJson);
    CHECK(split.error != "");
    CHECK(split.records.empty());
  }
  // Deep nesting does not overflow the stack (the reader is iterative).
  std::string deep(1'000'000, '[');
  CHECK(split_body(deep, BodyFormat::kJson).error != "");
}

TEST_CASE("a single object is one record; NDJSON is one record a non-blank line") {
  auto one = records("  {\"a\": 1}\n", BodyFormat::kJson, 'o');
  REQUIRE(one.size() == 1);
  CHECK(one[0] == "{\"a\": 1}");
  auto lines = records("{\"a\":1}\r\n\n  \n{\"b\":2}\nnot json", BodyFormat::kLines, 'l');
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "{\"a\":1}");
  CHECK(lines[1] == "{\"b\":2}");
  CHECK(lines[2] == "not json");
  // Sniffed: a lone object is one line.
  CHECK(records("{\"a\":1}", BodyFormat::kSniff, 'l').size() == 1);
  // application/x-ndjson with a '[' line: lines, not an array.
  CHECK(records("[1]\n[2]\n", BodyFormat::kLines, 'l').size() == 2);
  CHECK(split_body("  \n", BodyFormat::kSniff).records.empty());
}

TEST_CASE("gzip and zstd bodies are decoded") {
  std::string text = "{\"a\":1}\n{\"b\":2}\n";
  DecodedBody g = decode_body(gzip(text), Encoding::kGzip, 1024);
  CHECK(g.status == DecodedBody::Status::kOk);
  CHECK(g.bytes == text);
  // Two gzip members are one body.
  DecodedBody two = decode_body(gzip(text) + gzip(text), Encoding::kGzip, 1024);
  CHECK(two.bytes == text + text);
  DecodedBody z = decode_body(zstd(text), Encoding::kZstd, 1024);
  CHECK(z.status == DecodedBody::Status::kOk);
  CHECK(z.bytes == text);
  CHECK(decode_body(text, Encoding::kIdentity, 1024).bytes == text);
  CHECK(decode_body("not gzip", Encoding::kGzip, 1024).status == DecodedBody::Status::kInvalid);
  CHECK(decode_body(gzip(text).substr(0, 10), Encoding::kGzip, 1024).status ==
        DecodedBody::Status::kInvalid);
  CHECK(decode_body("not zstd", Encoding::kZstd, 1024).status == DecodedBody::Status::kInvalid);
  CHECK(decode_body(zstd(text).substr(0, 8), Encoding::kZstd, 1024).status ==
        DecodedBody::Status::kInvalid);
}

TEST_CASE("the decompressed size is capped: a bomb costs its cap, not its size") {
  std::string zeros(10 << 20, '0');
  std::string bomb = gzip(zeros);
  CHECK(bomb.size() < 64 * 1024);
  DecodedBody g = decode_body(bomb, Encoding::kGzip, 1 << 20);
  CHECK(g.status == DecodedBody::Status::kTooLarge);
  CHECK(g.bytes.capacity() <= (1u << 20));
  CHECK(decode_body(zstd(zeros), Encoding::kZstd, 1 << 20).status ==
        DecodedBody::Status::kTooLarge);
  // Exactly at the cap is fine; one byte over is not.
  std::string small(1000, 'x');
  CHECK(decode_body(gzip(small), Encoding::kGzip, 1000).status == DecodedBody::Status::kOk);
  CHECK(decode_body(gzip(small), Encoding::kGzip, 999).status == DecodedBody::Status::kTooLarge);
  CHECK(decode_body(small, Encoding::kIdentity, 999).status == DecodedBody::Status::kTooLarge);
}

TEST_CASE("the id key depends on the body's bytes and shape only") {
  std::string a = "{\"a\":1}\n";
  CHECK(body_id_key(a, 'l') == body_id_key(std::string(a), 'l'));
  CHECK(body_id_key(a, 'l') != body_id_key("{\"a\":2}\n", 'l'));
  CHECK(body_id_key(a, 'l') != body_id_key(a, 'o'));
  CHECK(body_id_key(a, 'l').rfind("http:l:", 0) == 0);
}
