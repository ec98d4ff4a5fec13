#include "tests/fakes/fake_elasticsearch/bulk.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <chrono>
#include <cstring>

#include "tests/fakes/fake_elasticsearch/es_response.h"

namespace auditrelay::fakes::es {
namespace {

// How many items ahead of the one executing the id set's slot is prefetched.
constexpr size_t kPrefetchAhead = 8;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

FakeResponse validation_failed(std::string_view what, const FilterPath& filter) {
  return error_response(400, "action_request_validation_exception",
                        "Validation Failed: 1: " + std::string(what) + ";", filter);
}

}  // namespace

BulkProcessor::BulkProcessor(ClusterStore& store, Stats& stats, const Faults& faults,
                             Random& random, bool strict_documents)
    : store_(store),
      stats_(stats),
      faults_(faults),
      random_(random),
      strict_documents_(strict_documents),
      auto_id_base_(static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch() /
                                          std::chrono::milliseconds(1))) {}

bool BulkProcessor::parse(std::string_view body, std::string_view url_target,
                          const FilterPath& filter, FakeResponse* error) {
  count_ = 0;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    *error = validation_failed("no requests added", filter);
    return false;
  }
  if (body.back() != '\n') {
    *error = error_response(400, "illegal_argument_exception",
                            "The bulk request must be terminated by a newline [\\n]", filter);
    return false;
  }
  uint64_t line_number = 0;
  size_t pos = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= body.size()) return false;
    const void* nl = std::memchr(body.data() + pos, '\n', body.size() - pos);
    size_t end = static_cast<const char*>(nl) - body.data();  // the body ends with '\n'
    *line = body.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    return true;
  };
  // Consecutive items usually go to one target: looked up once.
  std::string last_index;
  Target* last_target = nullptr;
  std::string_view line;
  while (next_line(&line)) {
    if (!parse_action_line(line, line_number, action_)) {
      *error = error_response(400, action_.error_type, action_.error_reason, filter);
      return false;
    }
    std::string_view source;
    // An action whose source line is missing at the very end is ignored, as the real
    // parser stops at the last complete pair.
    if (action_.op != BulkOp::kDelete && !next_line(&source)) break;
    std::string_view index = action_.index.empty() ? url_target : std::string_view(action_.index);
    if (index.empty()) {
      *error = validation_failed("index is missing", filter);
      return false;
    }
    if (action_.id.empty() && (action_.op == BulkOp::kDelete || action_.op == BulkOp::kUpdate)) {
      *error = validation_failed("id is missing", filter);
      return false;
    }
    if (count_ == items_.size()) items_.emplace_back();
    Item& item = items_[count_++];
    item.op = action_.op;
    if (last_target == nullptr || index != last_index) {
      last_target = &store_.target(index);
      last_index.assign(index);  // a copy: action_ is reused for the next line
    }
    item.target = last_target;
    item.id.assign(action_.id);
    item.source = source;
  }
  if (count_ == 0) {
    *error = validation_failed("no requests added", filter);
    return false;
  }
  return true;
}

bool BulkProcessor::valid_source(std::string_view source) const {
  source = trim(source);
  if (source.size() < 2 || source.front() != '{' || source.back() != '}') return false;
  if (!strict_documents_) return true;
  rapidjson::MemoryStream stream(source.data(), source.size());
  rapidjson::BaseReaderHandler<> ignore;
  rapidjson::Reader reader;
  return !reader.Parse(stream, ignore).IsError();
}

void BulkProcessor::next_auto_id(std::string& id) {
  // 20 URL-safe base64 characters, the shape of Elasticsearch's auto-generated ids.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  uint64_t a = auto_id_base_, b = ++auto_ids_;
  id.resize(20);
  for (int i = 0; i < 10; ++i) {
    id[i] = kAlphabet[(a >> (6 * (9 - i))) & 63];
    id[10 + i] = kAlphabet[(b >> (6 * (9 - i))) & 63];
  }
}

void BulkProcessor::execute(Item& item) {
  Target& target = *item.target;
  bool writes_source = item.op != BulkOp::kDelete;
  if (item.op != BulkOp::kCreate && target.data_stream) {
    item.outcome = Outcome::kDataStreamOp;
    return;
  }
  if (item.id.empty()) next_auto_id(item.id);
  double r429 = faults_.item_429_ratio, r503 = faults_.item_503_ratio,
         r500 = faults_.item_500_ratio;
  if (r429 > 0 || r503 > 0 || r500 > 0) {
    double r = random_.unit();
    if (r < r429) {
      item.outcome = Outcome::kRejected;
      return;
    }
    if (r < r429 + r503) {
      item.outcome = Outcome::kUnavailable;
      return;
    }
    if (r < r429 + r503 + r500) {
      item.outcome = Outcome::kServerError;
      return;
    }
  }
  if (writes_source && !valid_source(item.source)) {
    item.outcome = Outcome::kNotAnObject;
    return;
  }
  if (writes_source && !faults_.item_400_ids.empty() && faults_.item_400_ids.count(item.id)) {
    item.outcome = Outcome::kFieldMapping;
    return;
  }
  switch (item.op) {
    case BulkOp::kCreate:
      if (!store_.create(target, item.id, item.source)) {
        item.outcome = Outcome::kConflict;
        return;
      }
      item.outcome = Outcome::kCreated;
      break;
    case BulkOp::kIndex:
      item.outcome =
          store_.put(target, item.id, item.source) ? Outcome::kCreated : Outcome::kUpdated;
      break;
    case BulkOp::kUpdate:
      if (!store_.contains(target, item.id)) {
        item.outcome = Outcome::kDocumentMissing;
        return;
      }
      // A partial update merges into the stored source; the fake keeps the ids only.
      item.outcome = Outcome::kUpdated;
      break;
    case BulkOp::kDelete:
      item.outcome = store_.erase(target, item.id) ? Outcome::kDeleted : Outcome::kNotFound;
      break;
  }
  item.seq_no = target.next_seq_no++;
}

FakeResponse BulkProcessor::process(std::string_view body, std::string_view url_target,
                                    const FilterPath& filter, uint64_t* items) {
  auto started = std::chrono::steady_clock::now();
  *items = 0;
  FakeResponse error;
  if (!parse(body, url_target, filter, &error)) return error;
  bool errors = false;
  for (size_t i = 0; i < count_; ++i) {
    if (i + kPrefetchAhead < count_ && !items_[i + kPrefetchAhead].id.empty())
      store_.prefetch(*items_[i + kPrefetchAhead].target, items_[i + kPrefetchAhead].id);
    execute(items_[i]);
    errors = errors || items_[i].outcome >= Outcome::kConflict;
    stats_.count_item(status(items_[i].outcome));
  }
  std::string out;
  out.reserve(64 + count_ * (filter.empty() ? 260 : 40));
  JsonOut json(out, filter);
  json.StartObject();
  // Elasticsearch 8 writes "errors" before "took" (BulkResponse#toXContentChunked).
  json.Field("errors", errors);
  json.Field("took", static_cast<int64_t>((std::chrono::steady_clock::now() - started) /
                                          std::chrono::milliseconds(1)));
  json.Key("items");
  json.StartArray();
  cached_items_.clear();
  for (size_t i = 0; i < count_; ++i) {
    const Item& item = items_[i];
    if (item_cache_ && item.outcome < Outcome::kConflict) {
      if (const CachedItem& cached = cached_item(item, filter); cached.constant) {
        json.FilteredElement(cached.json);
        continue;
      }
    }
    write_item(json, item);
  }
  json.EndArray();
  json.EndObject();
  *items = count_;
  stats_.items_received += count_;
  return json_response(200, std::move(out));
}

}  // namespace auditrelay::fakes::es
