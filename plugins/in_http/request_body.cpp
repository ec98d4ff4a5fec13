#include "plugins/in_http/request_body.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>

namespace auditrelay::http_input {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string lower_trimmed(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && is_space(text[begin]))
    ++begin;
  while (end > begin && is_space(text[end - 1]))
    --end;
  std::string out(text.substr(begin, end - begin));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Appends decoded output while holding the cap: capacity grows by doubling but never past it.
class CappedOutput {
 public:
  CappedOutput(uint64_t max_bytes, size_t hint) : max_(max_bytes) {
    out_.reserve(static_cast<size_t>(std::min<uint64_t>(max_, hint)));
  }
  bool append(const char* data, size_t n) {
    if (out_.size() + n > max_) return false;
    if (out_.capacity() < out_.size() + n) {
      uint64_t want = std::max<uint64_t>(out_.capacity() * 2, out_.size() + n);
      out_.reserve(static_cast<size_t>(std::min<uint64_t>(want, max_)));
    }
    out_.append(data, n);
    return true;
  }
  std::string take() { return std::move(out_); }

 private:
  uint64_t max_;
  std::string out_;
};

constexpr size_t kChunk = 64 * 1024;

DecodedBody invalid(std::string error) {
  return {DecodedBody::Status::kInvalid, {}, std::move(error)};
}

DecodedBody too_large() {
  return {DecodedBody::Status::kTooLarge, {}, {}};
}

DecodedBody gunzip(std::string_view in, uint64_t max_bytes) {
  z_stream zs{};
  // 16 + MAX_WBITS: a gzip wrapper (RFC 1952), not a bare zlib stream.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return invalid("zlib: cannot initialise");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, inflateEnd);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  CappedOutput out(max_bytes, in.size() * 4 + 1024);
  std::array<char, kChunk> chunk;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = chunk.size() - zs.avail_out;
    if (!out.append(chunk.data(), produced)) return too_large();
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Concatenated gzip members are one body (RFC 1952 §2.2).
      if (inflateReset(&zs) != Z_OK) return invalid("gzip: cannot continue");
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) return invalid("gzip: body ends mid-stream");
    if (rc != Z_OK) return invalid(std::string("gzip: ") + (zs.msg ? zs.msg : "corrupt data"));
  }
  return {DecodedBody::Status::kOk, out.take(), {}};
}

DecodedBody unzstd(std::string_view in, uint64_t max_bytes) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return invalid("zstd: cannot initialise");
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  CappedOutput out(max_bytes, in.size() * 4 + 1024);
  std::array<char, kChunk> chunk;
  size_t last = 0;
  while (input.pos < input.size) {
    ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(ctx.get(), &output, &input);
    if (ZSTD_isError(last)) return invalid(std::string("zstd: ") + ZSTD_getErrorName(last));
    if (!out.append(chunk.data(), output.pos)) return too_large();
  }
  // Flush what the decoder still holds once the input is consumed.
  while (last != 0) {
    ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(ctx.get(), &output, &input);
    if (ZSTD_isError(last)) return invalid(std::string("zstd: ") + ZSTD_getErrorName(last));
    if (!out.append(chunk.data(), output.pos)) return too_large();
    if (output.pos == 0 && last != 0) return invalid("zstd: body ends mid-frame");
  }
  return {DecodedBody::Status::kOk, out.take(), {}};
}

// SAX handler that records the byte span of each element of the top-level array. An element
// starts at the first byte after the previous one (or '[') that is not a space or comma. The
// iterative reader calls Start*/End* before it takes the bracket, so a container ends one past
// the closing bracket's Tell(). Where the reader stands at a scalar's event differs by type
// (strings and numbers are read on a local copy of the stream), so a scalar, already
// validated by the reader, is delimited from its first byte instead.
class ArraySplitter : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ArraySplitter> {
 public:
  ArraySplitter(std::string_view body, const rapidjson::StringStream& stream,
                std::vector<RecordSpan>& out)
      : body_(body), stream_(stream), out_(out) {}

  bool Default() {
    if (depth_ == 1) {
      size_t begin = start();
      size_t end = begin;
      if (end < body_.size() && body_[end] == '"') {
        for (++end; end < body_.size() && body_[end] != '"'; ++end) {
          if (body_[end] == '\\') ++end;  // the escaped character
        }
        ++end;  // the closing quote
      } else {
        while (end < body_.size() && !is_space(body_[end]) && body_[end] != ',' &&
               body_[end] != ']') {
          ++end;
        }
      }
      end = std::min(end, body_.size());
      out_.push_back({begin, end - begin});
      last_end_ = end;
    }
    return true;
  }
  bool StartObject() { return open(); }
  bool StartArray() { return open(); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  bool open() {
    if (depth_ == 0) last_end_ = stream_.Tell() + 1;
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    if (depth_ == 1) {
      size_t begin = start();
      last_end_ = stream_.Tell() + 1;
      out_.push_back({begin, last_end_ - begin});
    }
    return true;
  }
  size_t start() const {
    size_t at = last_end_;
    while (at < body_.size() && (is_space(body_[at]) || body_[at] == ','))
      ++at;
    return at;
  }

  std::string_view body_;
  const rapidjson::StringStream& stream_;
  std::vector<RecordSpan>& out_;
  size_t depth_ = 0;
  size_t last_end_ = 0;
};

void split_array(const std::string& body, SplitBody& out) {
  // A StringStream ends at a NUL: one inside the body would hide what follows it.
  if (body.find('\0') != std::string::npos) {
    out.error = "not a valid JSON array: the body holds a NUL byte";
    return;
  }
  rapidjson::StringStream stream(body.data());
  ArraySplitter splitter(body, stream, out.records);
  rapidjson::Reader reader;
  // Iterative: a body of a million '[' must not overflow the stack.
  rapidjson::ParseResult ok =
      reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(stream,
                                                                                       splitter);
  if (!ok) {
    out.records.clear();
    out.error = std::string("not a valid JSON array: ") + rapidjson::GetParseError_En(ok.Code()) +
                " at byte " + std::to_string(ok.Offset());
    return;
  }
  for (size_t i = stream.Tell(); i < body.size(); ++i) {
    if (!is_space(body[i])) {
      out.records.clear();
      out.error = "not a valid JSON array: more data after its end at byte " + std::to_string(i);
      return;
    }
  }
}

void split_lines(std::string_view body, SplitBody& out) {
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    size_t end = nl == std::string_view::npos ? body.size() : nl;
    size_t begin = pos;
    size_t stop = end;
    while (begin < stop && is_space(body[begin]))
      ++begin;
    while (stop > begin && is_space(body[stop - 1]))
      --stop;
    if (stop > begin) out.records.push_back({begin, stop - begin});
    pos = end + 1;
  }
}

}  // namespace

std::optional<BodyFormat> body_format(std::string_view content_type) {
  std::string type = lower_trimmed(content_type.substr(0, content_type.find(';')));
  if (type.empty()) return BodyFormat::kSniff;
  if (type == "application/json") return BodyFormat::kJson;
  if (type == "application/x-ndjson" || type == "application/jsonl" ||
      type == "application/x-jsonlines" || type == "application/jsonlines") {
    return BodyFormat::kLines;
  }
  // Another JSON type (text/json, application/vnd.x+json, ...): look at the body.
  if (type.find("json") != std::string::npos) return BodyFormat::kSniff;
  return std::nullopt;
}

std::optional<Encoding> body_encoding(std::string_view content_encoding) {
  std::string coding = lower_trimmed(content_encoding);
  if (coding.empty() || coding == "identity") return Encoding::kIdentity;
  if (coding == "gzip" || coding == "x-gzip") return Encoding::kGzip;
  if (coding == "zstd") return Encoding::kZstd;
  return std::nullopt;
}

DecodedBody decode_body(std::string body, Encoding encoding, uint64_t max_bytes) {
  switch (encoding) {
    case Encoding::kGzip:
      return gunzip(body, max_bytes);
    case Encoding::kZstd:
      return unzstd(body, max_bytes);
    case Encoding::kIdentity:
      break;
  }
  if (body.size() > max_bytes) return too_large();
  return {DecodedBody::Status::kOk, std::move(body), {}};
}

SplitBody split_body(const std::string& body, BodyFormat format) {
  SplitBody out;
  size_t first = 0;
  while (first < body.size() && is_space(body[first]))
    ++first;
  if (first == body.size()) return out;
  bool array = body[first] == '[';
  if (format == BodyFormat::kLines || (format == BodyFormat::kSniff && !array)) {
    out.shape = 'l';
    split_lines(body, out);
  } else if (array) {
    out.shape = 'a';
    split_array(body, out);
  } else {
    // application/json and not an array: the whole body is one record (the normalizer
    // rejects it if it is not one JSON object).
    out.shape = 'o';
    size_t last = body.size();
    while (last > first && is_space(body[last - 1]))
      --last;
    out.records.push_back({first, last - first});
  }
  return out;
}

std::string body_id_key(std::string_view body, char shape) {
  XXH128_hash_t hash = XXH3_128bits(body.data(), body.size());
  char buf[48];
  std::snprintf(buf, sizeof buf, "http:%c:%016llx%016llx", shape,
                static_cast<unsigned long long>(hash.high64),
                static_cast<unsigned long long>(hash.low64));
  return buf;
}

}  // namespace auditrelay::http_input
