// The _bulk API: parses an NDJSON body whole (as Elasticsearch does, so a malformed line
// fails the request before any item is indexed), then executes each item against the
// store, applying the item faults, and writes the response.
// https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tests/fakes/fake_elasticsearch/action_line.h"
#include "tests/fakes/fake_elasticsearch/faults.h"
#include "tests/fakes/fake_elasticsearch/json_out.h"
#include "tests/fakes/fake_elasticsearch/stats.h"
#include "tests/fakes/fake_elasticsearch/store.h"
#include "tests/fakes/fake_http_server.h"

namespace auditrelay::fakes::es {

class BulkProcessor {
 public:
  BulkProcessor(ClusterStore& store, Stats& stats, const Faults& faults, Random& random,
                bool strict_documents);

  // `body` is the decoded NDJSON; `url_target` the <target> of /<target>/_bulk or "".
  // Sets `items` to the number of items executed.
  FakeResponse process(std::string_view body, std::string_view url_target, const FilterPath& filter,
                       uint64_t* items);
  // Whether successful items are rendered once per request and kind (see CachedItem); tests
  // compare responses with and without.
  void set_item_cache(bool on) { item_cache_ = on; }

 private:
  enum class Outcome {
    kCreated,
    kUpdated,
    kDeleted,
    kNotFound,         // delete of a missing document: 404, not an error
    kConflict,         // 409 version_conflict_engine_exception
    kRejected,         // 429 es_rejected_execution_exception (fault)
    kUnavailable,      // 503 unavailable_shards_exception (fault)
    kServerError,      // 500 illegal_state_exception (fault)
    kFieldMapping,     // 400 for an id in item_400_ids (fault)
    kNotAnObject,      // 400: the source line is not a JSON object
    kDataStreamOp,     // 400: only create into a data stream
    kDocumentMissing,  // 404: update of a missing document
  };
  struct Item {
    BulkOp op = BulkOp::kCreate;
    Target* target = nullptr;
    std::string id;
    std::string_view source;
    Outcome outcome = Outcome::kCreated;
    uint64_t seq_no = 0;
  };

  // Phase 1: fills items_[0, count_); returns an error response for a malformed body.
  bool parse(std::string_view body, std::string_view url_target, const FilterPath& filter,
             FakeResponse* error);
  void execute(Item& item);
  bool valid_source(std::string_view source) const;
  void next_auto_id(std::string& id);
  static int status(Outcome outcome);
  void write_item(JsonOut& out, const Item& item) const;

  // A successful item's part of the response, under the request's filter_path, when it is the
  // same for every item of its target, operation and outcome: the filter keeps neither _id nor
  // _seq_no (as the agent's does). It is then written once per request, not once per item,
  // which took most of the fake's time per document.
  struct CachedItem {
    const Target* target;
    BulkOp op;
    Outcome outcome;
    bool constant;     // false: each item is written on its own
    std::string json;  // the filtered item, "" when the filter keeps nothing of it
  };
  const CachedItem& cached_item(const Item& item, const FilterPath& filter);
  // The item as write_item() would write it as an element of the response's "items".
  std::string write_item_alone(const Item& item, const FilterPath& filter) const;

  ClusterStore& store_;
  Stats& stats_;
  const Faults& faults_;
  Random& random_;
  bool strict_documents_;
  ActionLine action_;
  std::vector<Item> items_;  // reused: its strings keep their capacity
  size_t count_ = 0;
  uint64_t auto_ids_ = 0;
  uint64_t auto_id_base_;
  bool item_cache_ = true;
  std::vector<CachedItem> cached_items_;  // for the request being answered
};

}  // namespace auditrelay::fakes::es
