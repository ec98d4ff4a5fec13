#include "tests/fakes/fake_elasticsearch/store.h"

#include <ctime>

#include "tests/fakes/fake_elasticsearch/json_out.h"

namespace auditrelay::fakes::es {
namespace {

// Elasticsearch 8 ships a "logs" template (priority 100) making every logs-*-* name a data
// stream; a user template of higher priority overrides it.
constexpr std::string_view kBuiltinDataStreams = "logs-*-*";
constexpr int64_t kBuiltinPriority = 100;

constexpr const char* kLogsSettings =
    R"({"template":{"settings":{"index":{"lifecycle":{"name":"logs"},"codec":"best_compression",)"
    R"("mapping":{"ignore_malformed":true},"default_pipeline":"logs@default-pipeline"}}},)"
    R"("_meta":{"description":"default settings for the logs index template installed by )"
    R"(x-pack","managed":true},"version":14,"deprecated":false})";
constexpr const char* kEcsMappings =
    R"({"template":{"mappings":{"dynamic_templates":[{"ecs_timestamp":{"match":"@timestamp",)"
    R"("mapping":{"ignore_malformed":false,"type":"date"}}}],"date_detection":false}},)"
    R"("_meta":{"description":"dynamic mappings based on ECS, installed by x-pack",)"
    R"("managed":true},"version":14})";

std::string today() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof(text), "%Y.%m.%d", &utc);
  return text;
}

}  // namespace

ClusterStore::ClusterStore(bool store_documents, bool builtin_components)
    : store_documents_(store_documents) {
  if (builtin_components) {
    components_["logs@settings"] = kLogsSettings;
    components_["ecs@mappings"] = kEcsMappings;
  }
}

void ClusterStore::resolve(Target& target) const {
  bool data_stream = false;
  int64_t best = -1;
  if (wildcard_match(kBuiltinDataStreams, target.name)) {
    data_stream = true;
    best = kBuiltinPriority;
  }
  for (const auto& [name, t] : templates_) {
    for (const auto& pattern : t.index_patterns) {
      if (t.priority > best && wildcard_match(pattern, target.name)) {
        best = t.priority;
        data_stream = t.data_stream;
      }
    }
  }
  // A data stream keeps its backing index once created, as the real one does.
  if (data_stream && target.write_index.rfind(".ds-", 0) != 0)
    target.write_index = ".ds-" + target.name + "-" + today() + "-000001";
  if (!data_stream) target.write_index = target.name;
  target.data_stream = data_stream;
}

Target& ClusterStore::target(std::string_view name) {
  key_.assign(name);
  auto it = targets_.find(key_);
  if (it != targets_.end()) return it->second;
  Target& t = targets_[key_];
  t.name = key_;
  resolve(t);
  return t;
}

const std::string& ClusterStore::key(const Target& target, std::string_view id) {
  key_.assign(target.name);
  key_.push_back('\0');
  key_.append(id);
  return key_;
}

bool ClusterStore::contains(const Target& target, std::string_view id) {
  return ids_.contains(key(target, id));
}

bool ClusterStore::create(const Target& target, std::string_view id, std::string_view source) {
  const std::string& k = key(target, id);
  if (!ids_.insert(k)) return false;  // one lookup: the set's cache misses dominate
  if (store_documents_) documents_[k].assign(source);
  return true;
}

bool ClusterStore::put(const Target& target, std::string_view id, std::string_view source) {
  const std::string& k = key(target, id);
  bool added = ids_.insert(k);
  if (store_documents_) documents_[k].assign(source);
  return added;
}

bool ClusterStore::erase(const Target& target, std::string_view id) {
  const std::string& k = key(target, id);
  documents_.erase(k);
  return ids_.erase(k) != 0;
}

void ClusterStore::reset() {
  ids_.clear();
  documents_.clear();
  targets_.clear();
}

void ClusterStore::write_ids(std::string& out) const {
  out.reserve(out.size() + ids_.size() * 48);
  ids_.for_each([&](std::string_view k) {
    size_t zero = k.find('\0');
    out.append(k.substr(0, zero));
    out.push_back('\t');
    out.append(k.substr(zero + 1));
    out.push_back('\n');
  });
}

void ClusterStore::write_documents(std::string& out) const {
  FilterPath none;
  for (const auto& [k, source] : documents_) {
    size_t zero = k.find('\0');
    JsonOut line(out, none);
    line.StartObject();
    line.Field("_index", std::string_view(k).substr(0, zero));
    line.Field("_id", std::string_view(k).substr(zero + 1));
    line.Key("_source");
    line.Raw(source);
    line.EndObject();
    out.push_back('\n');
  }
}

void ClusterStore::for_each_document(
    const std::function<void(const Target&, std::string_view, std::string_view)>& fn) const {
  std::string name;
  ids_.for_each([&](std::string_view k) {
    auto document = documents_.find(std::string(k));
    if (document == documents_.end()) return;
    size_t zero = k.find('\0');
    name.assign(k.substr(0, zero));
    auto target = targets_.find(name);
    if (target != targets_.end()) fn(target->second, k.substr(zero + 1), document->second);
  });
}

std::vector<const Target*> ClusterStore::targets() const {
  std::vector<const Target*> all;
  all.reserve(targets_.size());
  for (const auto& [name, target] : targets_)
    all.push_back(&target);
  return all;
}

void ClusterStore::put_index_template(const std::string& name, IndexTemplate index_template) {
  templates_[name] = std::move(index_template);
  for (auto& [n, target] : targets_)
    resolve(target);
}

bool ClusterStore::delete_index_template(const std::string& name) {
  bool erased = templates_.erase(name) != 0;
  for (auto& [n, target] : targets_)
    resolve(target);
  return erased;
}

}  // namespace auditrelay::fakes::es
