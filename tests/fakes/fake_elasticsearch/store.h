// What the fake cluster holds: document ids (and optionally sources) per target, the data
// streams those targets resolve to, and the index templates, ILM policies and component
// templates a `setup` command writes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tests/fakes/fake_elasticsearch/id_set.h"

namespace auditrelay::fakes::es {

// A name a bulk action addressed: a data stream (writes land in its backing index) or a
// classic index.
struct Target {
  std::string name;
  std::string write_index;  // ".ds-<name>-<yyyy.MM.dd>-000001" for a data stream, else name
  bool data_stream = false;
  uint64_t next_seq_no = 0;
};

struct IndexTemplate {
  std::string json;
  std::vector<std::string> index_patterns;
  bool data_stream = false;
  int64_t priority = 0;
};

struct LifecyclePolicy {
  std::string json;  // the "policy" object
  uint64_t version = 0;
  int64_t modified_ms = 0;
};

class ClusterStore {
 public:
  ClusterStore(bool store_documents, bool builtin_components);

  // The target of that name, created on first use.
  Target& target(std::string_view name);

  bool contains(const Target& target, std::string_view id);
  // See IdSet::prefetch.
  void prefetch(const Target& target, std::string_view id) { ids_.prefetch(key(target, id)); }
  // Adds the document unless its id exists (a "create"); returns whether it was added.
  bool create(const Target& target, std::string_view id, std::string_view source);
  // Adds or replaces the document; returns whether it was new.
  bool put(const Target& target, std::string_view id, std::string_view source);
  bool erase(const Target& target, std::string_view id);
  size_t indexed() const { return ids_.size(); }
  // Makes room for that many documents before they come (see IdSet::reserve).
  void expect_documents(size_t count) { ids_.reserve(count, 64); }
  bool stores_documents() const { return store_documents_; }
  // Forgets every document and target; templates and policies stay.
  void reset();

  // "<target>\t<id>\n" per document, in the order they were first indexed.
  void write_ids(std::string& out) const;
  // {"_index":..,"_id":..,"_source":{..}} per line; only with store_documents.
  void write_documents(std::string& out) const;
  // Calls fn(target, id, source) for every document, in the order first indexed; only with
  // store_documents (what _search reads).
  void for_each_document(const std::function<void(const Target&, std::string_view id,
                                                  std::string_view source)>& fn) const;
  // Every target written to, in no particular order.
  std::vector<const Target*> targets() const;

  // Stores a template (its JSON already validated) and re-resolves known targets.
  void put_index_template(const std::string& name, IndexTemplate index_template);
  bool delete_index_template(const std::string& name);
  const std::map<std::string, IndexTemplate>& index_templates() const { return templates_; }

  std::map<std::string, LifecyclePolicy>& policies() { return policies_; }
  std::map<std::string, std::string>& component_templates() { return components_; }

 private:
  const std::string& key(const Target& target, std::string_view id);
  void resolve(Target& target) const;

  bool store_documents_;
  std::string key_;  // scratch "<target>\0<id>", so that lookups allocate nothing
  IdSet ids_;
  std::unordered_map<std::string, std::string> documents_;
  std::unordered_map<std::string, Target> targets_;
  std::map<std::string, IndexTemplate> templates_;
  std::map<std::string, LifecyclePolicy> policies_;
  std::map<std::string, std::string> components_;
};

}  // namespace auditrelay::fakes::es
