// The per-item part of a _bulk response, with the error objects Elasticsearch 8 returns.
#include <string>

#include "tests/fakes/fake_elasticsearch/bulk.h"

namespace auditrelay::fakes::es {
namespace {

constexpr std::string_view kIndexUuid = "Qw8cVq3mT9GqJ1x5dB2hKA";  // fixed: reproducible

// Where the failing shard was; part of errors raised on a shard.
void shard_fields(JsonOut& out, const Target& target) {
  out.Field("index_uuid", kIndexUuid);
  out.Field("shard", "0");
  out.Field("index", target.write_index);
}

void caused_by(JsonOut& out, std::string_view type, std::string_view reason) {
  out.Key("caused_by");
  out.StartObject();
  out.Field("type", type);
  out.Field("reason", reason);
  out.EndObject();
}

}  // namespace

int BulkProcessor::status(Outcome outcome) {
  switch (outcome) {
    case Outcome::kCreated:
      return 201;
    case Outcome::kUpdated:
    case Outcome::kDeleted:
      return 200;
    case Outcome::kNotFound:
    case Outcome::kDocumentMissing:
      return 404;
    case Outcome::kConflict:
      return 409;
    case Outcome::kRejected:
      return 429;
    case Outcome::kUnavailable:
      return 503;
    case Outcome::kServerError:
      return 500;
    case Outcome::kFieldMapping:
    case Outcome::kNotAnObject:
    case Outcome::kDataStreamOp:
      return 400;
  }
  return 500;
}

void BulkProcessor::write_item(JsonOut& out, const Item& item) const {
  const Target& target = *item.target;
  out.StartObject();
  out.Key(op_name(item.op));
  out.StartObject();
  out.Field("_index",
            target.data_stream && item.op != BulkOp::kCreate ? target.name : target.write_index);
  out.Field("_id", item.id);
  int code = status(item.outcome);
  if (item.outcome < Outcome::kConflict) {
    const char* result = item.outcome == Outcome::kCreated   ? "created"
                         : item.outcome == Outcome::kUpdated ? "updated"
                         : item.outcome == Outcome::kDeleted ? "deleted"
                                                             : "not_found";
    out.Field("_version", item.outcome == Outcome::kCreated ? 1 : 2);
    out.Field("result", result);
    out.Key("_shards");
    out.StartObject();
    out.Field("total", 2);
    out.Field("successful", 1);
    out.Field("failed", 0);
    out.EndObject();
    out.Field("_seq_no", item.seq_no);
    out.Field("_primary_term", 1);
    out.Field("status", code);
    out.EndObject();
    out.EndObject();
    return;
  }
  out.Field("status", code);
  out.Key("error");
  out.StartObject();
  switch (item.outcome) {
    case Outcome::kConflict:
      out.Field("type", "version_conflict_engine_exception");
      out.Field("reason", "[" + item.id +
                              "]: version conflict, document already exists (current version [1])");
      shard_fields(out, target);
      break;
    case Outcome::kDocumentMissing:
      out.Field("type", "document_missing_exception");
      out.Field("reason", "[" + item.id + "]: document missing");
      shard_fields(out, target);
      break;
    case Outcome::kRejected:
      out.Field("type", "es_rejected_execution_exception");
      out.Field("reason", "rejected execution of primary operation [shard_detail=[" +
                              target.write_index +
                              "][0][fake-node], shard_coordinating_and_primary_bytes=0, "
                              "shard_operation_bytes=" +
                              std::to_string(item.source.size()) +
                              ", shard_max_coordinating_and_primary_bytes=0]");
      break;
    case Outcome::kUnavailable:
      out.Field("type", "unavailable_shards_exception");
      out.Field("reason", "[" + target.write_index +
                              "][0] primary shard is not active Timeout: [1m], request: "
                              "[BulkShardRequest [[" +
                              target.write_index + "][0]] containing [1] requests]");
      shard_fields(out, target);
      break;
    case Outcome::kServerError:
      // An exception with no status of its own is a 500 (ExceptionsHelper#status).
      out.Field("type", "illegal_state_exception");
      out.Field("reason", "[" + target.write_index +
                              "][0] failed to execute bulk item (create) index {[" +
                              target.write_index + "][" + item.id + "]}");
      shard_fields(out, target);
      break;
    case Outcome::kFieldMapping:
      out.Field("type", "mapper_parsing_exception");
      out.Field("reason",
                "failed to parse field [policy.risk_score] of type [long] in document with id '" +
                    item.id + "'");
      caused_by(out, "illegal_argument_exception", "For input string: \"high\"");
      break;
    case Outcome::kNotAnObject:
      out.Field("type", "mapper_parsing_exception");
      out.Field("reason", "failed to parse");
      caused_by(out, "not_x_content_exception",
                "Compressor detection can only be called on some xcontent bytes or compressed "
                "xcontent bytes");
      break;
    case Outcome::kDataStreamOp:
      out.Field("type", "illegal_argument_exception");
      out.Field("reason", "only write ops with an op_type of create are allowed in data streams");
      break;
    default:
      break;
  }
  out.EndObject();
  out.EndObject();
  out.EndObject();
}

std::string BulkProcessor::write_item_alone(const Item& item, const FilterPath& filter) const {
  std::string out;
  JsonOut json(out, filter);
  json.StartObject();
  json.Key("items");
  json.StartArray();
  write_item(json, item);
  json.EndArray();
  json.EndObject();
  // {"items":[<item>]}, or {} when the filter keeps nothing of it.
  constexpr std::string_view kHead = "{\"items\":[", kTail = "]}";
  if (out.size() <= kHead.size() + kTail.size()) return {};
  return out.substr(kHead.size(), out.size() - kHead.size() - kTail.size());
}

const BulkProcessor::CachedItem& BulkProcessor::cached_item(const Item& item,
                                                            const FilterPath& filter) {
  for (const CachedItem& c : cached_items_) {
    if (c.target == item.target && c.op == item.op && c.outcome == item.outcome) return c;
  }
  // Written twice with a different id and sequence number: the same text means it holds
  // neither, and is the same for every such item.
  Item probe = item;
  probe.id = "a";
  probe.seq_no = 0;
  std::string first = write_item_alone(probe, filter);
  probe.id = "b";
  probe.seq_no = 1;
  const bool constant = write_item_alone(probe, filter) == first;
  return cached_items_.emplace_back(
      CachedItem{item.target, item.op, item.outcome, constant, std::move(first)});
}

}  // namespace auditrelay::fakes::es
