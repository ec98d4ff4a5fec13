#include "plugins/in_tail/offset_store.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agent/core/durable_io.h"

namespace auditrelay {
namespace {

constexpr int kVersion = 1;

bool read_entry(const rapidjson::Value& v, StoredOffset& out) {
  if (!v.IsObject()) return false;
  auto u64 = [&v](const char* key, uint64_t& dst) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd() || !it->value.IsUint64()) return false;
    dst = it->value.GetUint64();
    return true;
  };
  if (!u64("dev", out.identity.device) || !u64("ino", out.identity.inode) ||
      !u64("offset", out.offset)) {
    return false;
  }
  uint64_t hash = 0, length = 0;
  if (u64("fingerprint", hash) && u64("fingerprint_len", length)) {
    out.fingerprint = Fingerprint{hash, static_cast<uint32_t>(length)};
  }
  if (auto it = v.FindMember("path"); it != v.MemberEnd() && it->value.IsString()) {
    out.path = it->value.GetString();
  }
  return true;
}

}  // namespace

OffsetStore::Loaded OffsetStore::load() const {
  Loaded loaded;
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec) && !ec) return loaded;  // the very first start
  // From here on the input has run before: whatever goes wrong, files are read from their
  // start (duplicates, which ids make harmless) rather than from their end (loss).
  loaded.existed = true;
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    loaded.warning = "offset store " + file_.string() + " cannot be read (" +
                     (ec ? ec.message() : std::string(std::strerror(errno))) +
                     "); files will be read from their start";
    return loaded;
  }
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("files") ||
      !doc["files"].IsArray()) {
    loaded.warning = "offset store " + file_.string() + " is unreadable (" +
                     (doc.HasParseError() ? rapidjson::GetParseError_En(doc.GetParseError())
                                          : "unexpected shape") +
                     "); files will be read from their start";
    return loaded;
  }
  for (const auto& v : doc["files"].GetArray()) {
    StoredOffset entry;
    if (read_entry(v, entry)) loaded.offsets.push_back(std::move(entry));
  }
  return loaded;
}

std::string OffsetStore::save(const std::vector<StoredOffset>& offsets) const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("version");
  w.Int(kVersion);
  w.Key("files");
  w.StartArray();
  for (const auto& o : offsets) {
    w.StartObject();
    w.Key("dev");
    w.Uint64(o.identity.device);
    w.Key("ino");
    w.Uint64(o.identity.inode);
    if (o.fingerprint) {
      w.Key("fingerprint");
      w.Uint64(o.fingerprint->hash);
      w.Key("fingerprint_len");
      w.Uint(o.fingerprint->length);
    }
    w.Key("offset");
    w.Uint64(o.offset);
    w.Key("path");
    w.String(o.path);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return replace_file_atomically(file_, std::string_view(buf.GetString(), buf.GetSize()));
}

}  // namespace auditrelay
