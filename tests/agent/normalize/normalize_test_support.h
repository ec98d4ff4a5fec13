// Test support for the normalizer: run one record and look at the produced document.
#pragma once

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/normalize/normalizer.h"
#include "tests/support/temp_dir.h"

namespace auditrelay::test {

// One normalize() call, with the document parsed back for inspection.
struct Normalized {
  std::optional<Rejection> rejection;
  std::string id;
  std::string index;
  std::string json;
  rapidjson::Document doc;

  bool ok() const { return !rejection.has_value(); }
  RejectReason reason() const { return rejection ? rejection->reason : RejectReason::kEmpty; }
};

inline constexpr std::string_view kTestSourceKey = "test-source";

inline Normalized run(Normalizer& normalizer, std::string_view raw, Schema schema = Schema::kAuto,
                      uint64_t position = 0) {
  Normalized result;
  DocumentBatch batch;
  result.rejection = normalizer.normalize(raw, schema, {kTestSourceKey, position}, batch);
  if (result.rejection) {
    REQUIRE(batch.empty());
    return result;
  }
  REQUIRE(batch.size() == 1);
  result.id = std::string(batch[0].id);
  result.index = std::string(batch[0].index);
  result.json = std::string(batch[0].json);
  result.doc.Parse(result.json.c_str(), result.json.size());
  REQUIRE_FALSE(result.doc.HasParseError());
  REQUIRE(result.doc.IsObject());
  return result;
}

inline Normalized run(std::string_view raw, Schema schema = Schema::kAuto,
                      NormalizeOptions options = {}) {
  Normalizer normalizer(std::move(options));
  return run(normalizer, raw, schema);
}

// The value at a dotted path ("event.type"), or null when any step is missing. Splits only at
// dots, so "@timestamp" is one step.
inline const rapidjson::Value* at(const rapidjson::Value& root, std::string_view path) {
  const rapidjson::Value* v = &root;
  while (true) {
    const size_t dot = path.find('.');
    const std::string step(path.substr(0, dot));
    if (!v->IsObject()) return nullptr;
    const auto it = v->FindMember(step.c_str());
    if (it == v->MemberEnd()) return nullptr;
    v = &it->value;
    if (dot == std::string_view::npos) return v;
    path.remove_prefix(dot + 1);
  }
}

inline bool has(const Normalized& n, std::string_view path) {
  return at(n.doc, path) != nullptr;
}

// The string at `path`; "<missing>" or "<not a string>" otherwise, which reads well in a
// failed CHECK.
inline std::string str(const Normalized& n, std::string_view path) {
  const rapidjson::Value* v = at(n.doc, path);
  if (v == nullptr) return "<missing>";
  if (!v->IsString()) return "<not a string>";
  return {v->GetString(), v->GetStringLength()};
}

inline std::vector<std::string> strings(const Normalized& n, std::string_view path) {
  std::vector<std::string> out;
  const rapidjson::Value* v = at(n.doc, path);
  if (v == nullptr || !v->IsArray()) return {"<not an array>"};
  for (const auto& e : v->GetArray()) {
    out.push_back(e.IsString() ? std::string(e.GetString(), e.GetStringLength())
                               : "<not a string>");
  }
  return out;
}

inline std::vector<std::string> keys(const rapidjson::Value& object) {
  std::vector<std::string> out;
  for (const auto& m : object.GetObject())
    out.emplace_back(m.name.GetString());
  return out;
}

// The non-empty lines of ../shared/samples/<name>.
inline std::vector<std::string> sample_lines(std::string_view name) {
  const std::string text = read_file(shared_dir() / "samples" / name);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace auditrelay::test
