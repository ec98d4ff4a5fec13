#include "agent/cli/setup/template_assets.h"

#include <openssl/evp.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "agent/cli/setup/replace_all.h"
#include "agent/cli/setup/setup_error.h"
#include "agent/core/peer_json.h"

namespace auditrelay::cli::setup {
namespace {

namespace fs = std::filesystem;

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1)
    throw SetupError("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

// Member `key` of `object`, created as an empty object when absent or not an object.
rapidjson::Value& object_member(rapidjson::Value& object, const char* key,
                                rapidjson::Document::AllocatorType& a) {
  if (!object.HasMember(key)) {
    object.AddMember(rapidjson::Value(key, a), rapidjson::Value(rapidjson::kObjectType), a);
  }
  rapidjson::Value& member = object[key];
  if (!member.IsObject()) member.SetObject();
  return member;
}

}  // namespace

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

fs::path find_assets(const std::string& override_dir) {
  std::vector<fs::path> candidates;
  if (!override_dir.empty()) {
    candidates.emplace_back(override_dir);
  } else {
    candidates.emplace_back("/usr/share/auditrelay/elastic");
    std::error_code ec;
    fs::path binary = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
      candidates.push_back(
          (binary.parent_path() / "../share/auditrelay/elastic").lexically_normal());
    candidates.emplace_back(AUDITRELAY_ELASTIC_ASSETS_DIR);
  }
  std::string tried;
  for (const fs::path& dir : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(dir / kTemplateFile, ec)) return dir;
    tried += (tried.empty() ? "" : ", ") + dir.string();
  }
  throw SetupError(std::string(kTemplateFile) + " not found in " + tried + " (use --assets DIR)");
}

rapidjson::Document load_asset(const fs::path& file, const std::string& dataset) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw SetupError("cannot read " + file.string());
  std::string json =
      replace_all(replace_all(text.str(), "@DATASET@", dataset), "@VERSION@", AUDITRELAY_VERSION);
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw SetupError(file.string() + ": not a JSON object (at byte " +
                     std::to_string(doc.GetErrorOffset()) + ": " +
                     rapidjson::GetParseError_En(doc.GetParseError()) + ")");
  }
  return doc;
}

std::string build_template(rapidjson::Document doc, const std::vector<std::string>& components,
                           const std::string& ilm_policy, std::string& hash) {
  auto& a = doc.GetAllocator();
  rapidjson::Value composed(rapidjson::kArrayType);
  for (const std::string& c : components)
    composed.PushBack(rapidjson::Value(c.c_str(), a), a);
  if (doc.HasMember("composed_of")) doc.RemoveMember("composed_of");
  doc.AddMember("composed_of", composed, a);
  if (!ilm_policy.empty()) {
    rapidjson::Value& settings = object_member(object_member(doc, "template", a), "settings", a);
    rapidjson::Value& lifecycle =
        object_member(object_member(settings, "index", a), "lifecycle", a);
    if (lifecycle.HasMember("name")) lifecycle.RemoveMember("name");
    lifecycle.AddMember("name", rapidjson::Value(ilm_policy.c_str(), a), a);
  }
  rapidjson::Value& meta = object_member(doc, "_meta", a);
  if (meta.HasMember("content_hash")) meta.RemoveMember("content_hash");
  hash = "sha256:" + sha256_hex(compact(doc));
  meta.AddMember("content_hash", rapidjson::Value(hash.c_str(), a), a);
  return compact(doc);
}

std::string installed_hash(const std::string& body, const std::string& name) {
  rapidjson::Document doc;
  parse_peer_json(doc, body);
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("index_templates") ||
      !doc["index_templates"].IsArray())
    return "";
  for (const auto& item : doc["index_templates"].GetArray()) {
    if (!item.IsObject() || !item.HasMember("name") || !item["name"].IsString() ||
        item["name"].GetString() != name || !item.HasMember("index_template"))
      continue;
    const auto& t = item["index_template"];
    if (t.IsObject() && t.HasMember("_meta") && t["_meta"].IsObject() &&
        t["_meta"].HasMember("content_hash") && t["_meta"]["content_hash"].IsString())
      return t["_meta"]["content_hash"].GetString();
  }
  return "";
}

}  // namespace auditrelay::cli::setup
