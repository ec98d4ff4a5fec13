#include "tests/chaos/verify.h"

#include <rapidjson/document.h>

#include <unordered_map>
#include <unordered_set>

#include "tests/fakes/fake_elasticsearch_handle.h"
#include "tests/fakes/fake_splunk_hec_handle.h"
#include "tests/fakes/fake_webhook_handle.h"

namespace auditrelay::chaos {
namespace {

constexpr size_t kExamples = 5;

struct IndexedRecord {
  std::string event_id;
  bool webhook_event = false;  // blocked or warned: one of the webhook output's default events
};

bool has_type(const rapidjson::Value& types, const char* type) {
  for (const auto& t : types.GetArray()) {
    if (t.IsString() && std::string_view(t.GetString()) == type) return true;
  }
  return false;
}

// marker → its documents, from the fake's stored documents.
std::unordered_map<std::string, std::vector<IndexedRecord>> indexed_by_marker(
    fakes::FakeElasticsearch& es, uint64_t& documents) {
  std::unordered_map<std::string, std::vector<IndexedRecord>> out;
  for (const std::string& line : es.documents()) {
    ++documents;
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    if (doc.HasParseError() || !doc.HasMember("_source")) continue;
    const auto& source = doc["_source"];
    std::string marker = "(no marker)";
    if (source.HasMember("policy") && source["policy"].HasMember("unmapped") &&
        source["policy"]["unmapped"].HasMember(kMarkerField)) {
      marker = source["policy"]["unmapped"][kMarkerField].GetString();
    }
    IndexedRecord record;
    record.event_id = source["event"]["id"].GetString();
    const auto& types = source["event"]["type"];
    record.webhook_event =
        has_type(types, "denied") || (has_type(types, "info") && has_type(types, "allowed"));
    out[marker].push_back(std::move(record));
  }
  return out;
}

// "<id>\t<times>" lines → id → times.
std::unordered_map<std::string, uint64_t> id_counts(const std::vector<std::string>& lines,
                                                    const std::string& strip_prefix) {
  std::unordered_map<std::string, uint64_t> out;
  for (const std::string& line : lines) {
    size_t tab = line.find('\t');
    std::string id = line.substr(0, tab);
    if (id.rfind(strip_prefix, 0) == 0) id = id.substr(strip_prefix.size());
    out[id] += tab == std::string::npos ? 1 : std::stoull(line.substr(tab + 1));
  }
  return out;
}

AtLeastOnce at_least_once(const std::unordered_set<std::string>& expected,
                          const std::unordered_map<std::string, uint64_t>& received) {
  AtLeastOnce result;
  result.configured = true;
  result.expected = expected.size();
  for (const std::string& id : expected) {
    auto it = received.find(id);
    if (it == received.end()) {
      ++result.lost;
    } else {
      result.duplicated += it->second - 1;
    }
  }
  return result;
}

}  // namespace

Verdict verify(const Ledger& ledger, fakes::FakeElasticsearch& es, fakes::FakeSplunkHec* hec,
               fakes::FakeWebhook* webhook) {
  Verdict v;
  auto indexed = indexed_by_marker(es, v.indexed);
  std::unordered_set<std::string> written;
  std::unordered_set<std::string> hec_expected;
  std::unordered_set<std::string> webhook_expected;
  for (const std::string& marker : ledger.markers()) {
    written.insert(marker);
    auto it = indexed.find(marker);
    if (it == indexed.end()) {
      ++v.lost;
      if (v.examples.size() < kExamples) v.examples.push_back("lost: " + marker);
      continue;
    }
    if (it->second.size() > 1) {
      v.duplicated += it->second.size() - 1;
      if (v.examples.size() < kExamples) {
        v.examples.push_back("indexed " + std::to_string(it->second.size()) + " times: " + marker);
      }
    }
    // Each record's id as Elasticsearch has it is what HEC and the webhook must have too.
    for (const IndexedRecord& r : it->second) {
      hec_expected.insert(r.event_id);
      if (r.webhook_event) webhook_expected.insert(r.event_id);
    }
  }
  v.records = written.size();
  for (const auto& [marker, records] : indexed) {
    if (written.count(marker) == 0) {
      v.unexpected += records.size();
      if (v.examples.size() < kExamples) v.examples.push_back("not written: " + marker);
    }
  }
  if (hec != nullptr) v.hec = at_least_once(hec_expected, id_counts(hec->ids(), ""));
  if (webhook != nullptr) {
    v.webhook = at_least_once(webhook_expected, id_counts(webhook->ids(), "evt_"));
  }
  return v;
}

}  // namespace auditrelay::chaos
