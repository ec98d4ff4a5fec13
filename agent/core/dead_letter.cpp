#include "agent/core/dead_letter.h"

#include <openssl/evp.h>
#include <rapidjson/encodings.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace auditrelay {
namespace {

// Discards what rapidjson's UTF-8 validator copies through.
struct NullStream {
  using Ch = char;
  void Put(char) {}
};

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  rapidjson::MemoryStream in(bytes.data(), bytes.size());
  NullStream out;
  while (in.Tell() < bytes.size()) {
    if (!rapidjson::UTF8<>::Validate(in, out)) return false;
  }
  return true;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

void append_dead_letter_entry(const RejectedRecord& rejected, std::string_view time,
                              std::string& out) {
  auto str = [](rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("time");
  str(w, time);
  w.Key("reason");
  str(w, to_string(rejected.rejection.reason));
  w.Key("message");
  str(w, rejected.rejection.message);
  w.Key("input");
  str(w, rejected.input);
  w.Key("source");
  str(w, rejected.source.name);
  w.Key("position");
  w.Uint64(rejected.record.position);
  w.Key("length");
  w.Uint64(rejected.record.full_size);
  if (is_valid_utf8(rejected.bytes)) {
    w.Key("raw");
    str(w, rejected.bytes);
  } else {
    w.Key("raw_base64");
    str(w, base64_encode(rejected.bytes));
  }
  if (rejected.record.truncated()) {
    w.Key("truncated");
    w.Bool(true);
  }
  w.EndObject();
  out.append(buf.GetString(), buf.GetSize());
  out += '\n';
}

}  // namespace auditrelay
