#include "agent/report/report_record.h"

#include "agent/normalize/event_type.h"
#include "agent/normalize/timestamp.h"

namespace auditrelay::report {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr unsigned kMaxDepth = 32;  // as the pipeline's default normalize.max_depth

std::string_view string_or_empty(element value) {
  std::string_view s;
  return value.get_string().get(s) == simdjson::SUCCESS ? s : std::string_view();
}

std::optional<object> object_of(element value) {
  object o;
  if (value.get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
  return o;
}

void strings_of(element value, std::vector<std::string_view>& out) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) return;
  for (element item : array) {
    std::string_view s;
    if (item.get_string().get(s) == simdjson::SUCCESS) out.push_back(s);
  }
}

// The fields of event.type that decide the outcome (MAPPING.md §6 names them the same way):
// an array, or one string, matched as Elasticsearch's `term` query matches the field.
normalize::EventType event_types(element value) {
  normalize::EventType type;
  auto note = [&](std::string_view s) {
    if (s == "allowed")
      type.allowed = true;
    else if (s == "denied")
      type.denied = true;
    else if (s == "info")
      type.info = true;
    else if (s == "change")
      type.change = true;
  };
  simdjson::dom::array array;
  if (value.get_array().get(array) == simdjson::SUCCESS) {
    for (element item : array)
      note(string_or_empty(item));
  } else {
    note(string_or_empty(value));
  }
  return type;
}

Outcome outcome_of(const normalize::EventType& type) {
  if (type.denied) return Outcome::kBlocked;
  if (type.allowed && type.info) return Outcome::kWarned;
  return Outcome::kAllowed;
}

// What the document says, field by field, in one pass over each object it walks.
struct Fields {
  bool data_stream = false;
  bool policy = false;
  normalize::EventType event_type;  // none when absent: the request was not blocked
  std::string_view policy_decision;
  std::string_view http_request_id, policy_request_id;
  std::string_view request_model, policy_model;
  std::optional<std::string_view> system, policy_provider;
  std::string_view rollout_mode, enforcement;
  simdjson::dom::element violation_reasons, triggered_categories;
  bool has_violation_reasons = false, has_triggered_categories = false;
};

void read_event(object event, ReportRecord& out, Fields& f) {
  for (auto [key, value] : event) {
    if (key == "type") {
      f.event_type = event_types(value);
    } else if (key == "action") {
      out.decision = string_or_empty(value);
    } else if (key == "id") {
      out.id = string_or_empty(value);
    }
  }
}

void read_policy(object policy, ReportRecord& out, Fields& f) {
  for (auto [key, value] : policy) {
    if (key == "policy_id")
      out.policy_id = string_or_empty(value);
    else if (key == "policy_name")
      out.policy_name = string_or_empty(value);
    else if (key == "reason_code")
      out.reason_code = string_or_empty(value);
    else if (key == "rollout_mode")
      f.rollout_mode = string_or_empty(value);
    else if (key == "enforcement")
      f.enforcement = string_or_empty(value);
    else if (key == "decision")
      f.policy_decision = string_or_empty(value);
    else if (key == "request_id")
      f.policy_request_id = string_or_empty(value);
    else if (key == "model")
      f.policy_model = string_or_empty(value);
    else if (key == "provider" && value.is_string())
      f.policy_provider = string_or_empty(value);
    else if (key == "violation_reasons") {
      f.violation_reasons = value;
      f.has_violation_reasons = true;
    } else if (key == "triggered_categories") {
      f.triggered_categories = value;
      f.has_triggered_categories = true;
    }
  }
}

// `object.key` where `object` is a field of `parent`: gen_ai.request.model, http.request.id.
std::string_view nested_string(element parent, std::string_view object_key, std::string_view key) {
  element inner;
  if (parent.at_key(object_key).get(inner) != simdjson::SUCCESS) return {};
  element value;
  if (inner.at_key(key).get(value) != simdjson::SUCCESS) return {};
  return string_or_empty(value);
}

void read_top_level(object root, ReportRecord& out, Fields& f) {
  for (auto [key, value] : root) {
    if (key == "@timestamp") {
      out.timestamp = string_or_empty(value);
    } else if (key == "data_stream") {
      f.data_stream = value.is_object();
    } else if (key == "event") {
      if (auto event = object_of(value)) read_event(*event, out, f);
    } else if (key == "policy") {
      if (auto policy = object_of(value)) {
        f.policy = true;
        read_policy(*policy, out, f);
      }
    } else if (key == "gen_ai") {
      f.request_model = nested_string(value, "request", "model");
      element system;
      if (value.at_key("system").get(system) == simdjson::SUCCESS && system.is_string())
        f.system = string_or_empty(system);
    } else if (key == "http") {
      f.http_request_id = nested_string(value, "request", "id");
    } else if (key == "source") {
      element ip;
      if (value.at_key("ip").get(ip) == simdjson::SUCCESS) out.ip = string_or_empty(ip);
    }
  }
}

}  // namespace

RecordReader::RecordReader() : normalizer_(NormalizeOptions{}) {}

std::optional<Skip> RecordReader::read(std::string_view line, const RecordPosition& where,
                                       size_t readable_after, ReportRecord& out) {
  if (std::optional<Rejection> rejection = json_.parse(line, kMaxDepth, readable_after))
    return Skip{std::string(to_string(rejection->reason)), std::move(rejection->message)};
  Skip skip;
  if (extract(line, out, skip)) return std::nullopt;
  if (!skip.reason.empty()) return skip;

  // Not a normalized document (a raw record of either schema), or one to complete. Such records
  // are parsed three times (here, by the normalizer, and its document below): reports over raw
  // records cost more than over documents, which is what archives of shipped records hold.
  normalized_.clear();
  if (std::optional<Rejection> rejection =
          normalizer_.normalize(line, Schema::kAuto, where, normalized_, nullptr, readable_after))
    return Skip{std::string(to_string(rejection->reason)), std::move(rejection->message)};
  std::string_view document = normalized_[0].json;
  if (std::optional<Rejection> rejection = json_.parse(document, kMaxDepth))
    return Skip{std::string(to_string(rejection->reason)), std::move(rejection->message)};
  if (extract(document, out, skip)) return std::nullopt;
  if (skip.reason.empty()) skip = {"unknown_schema", "not an audit record"};
  return skip;
}

bool RecordReader::extract(std::string_view document, ReportRecord& out, Skip& skip) {
  object root;
  if (json_.root().get_object().get(root) != simdjson::SUCCESS) return false;
  out = ReportRecord{.violations = std::move(out.violations)};
  out.violations.clear();
  out.document = document;
  Fields f;
  read_top_level(root, out, f);
  if (!f.data_stream || !f.policy) return false;  // a raw record, not a document
  // A document without @timestamp or event.id: the normalizer completes it (MAPPING.md §3).
  if (out.timestamp.empty() || out.id.empty()) return false;

  std::optional<int64_t> ms = normalize::parse_rfc3339_millis(out.timestamp);
  if (!ms) {
    skip = {"invalid_timestamp", "@timestamp is not an RFC 3339 time"};
    return false;
  }
  out.timestamp_ms = *ms;
  // The outcome as Elasticsearch's queries see it (es_search.cpp), so that a report from files
  // and one from the cluster agree on every document.
  out.outcome = outcome_of(f.event_type);
  if (out.decision.empty()) out.decision = f.policy_decision;
  out.request_id = f.http_request_id.empty() ? f.policy_request_id : f.http_request_id;
  out.model = f.request_model.empty() ? f.policy_model : f.request_model;
  out.provider = f.system ? f.system : f.policy_provider;
  out.rollout_mode = f.rollout_mode.empty() ? f.enforcement : f.rollout_mode;
  out.enforcement = f.enforcement.empty() ? f.rollout_mode : f.enforcement;
  if (f.has_violation_reasons) strings_of(f.violation_reasons, out.violations);
  if (out.violations.empty() && f.has_triggered_categories)
    strings_of(f.triggered_categories, out.violations);
  return true;
}

}  // namespace auditrelay::report
