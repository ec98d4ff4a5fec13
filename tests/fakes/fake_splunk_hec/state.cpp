#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <sstream>

#include "tests/fakes/fake_splunk_hec/hec.h"

namespace auditrelay::fakes::hec {
namespace {

constexpr HecStatus kStatuses[] = {
    {0, 200, "Success"},
    {1, 403, "Token disabled"},
    {2, 401, "Token is required"},
    {3, 401, "Invalid authorization"},
    {4, 403, "Invalid token"},
    {5, 400, "No data"},
    {6, 400, "Invalid data format"},
    {7, 400, "Incorrect index"},
    {8, 500, "Internal server error"},
    {9, 503, "Server is busy"},
    {10, 400, "Data channel is missing"},
    {11, 400, "Invalid data channel"},
    {12, 400, "Event field is required"},
    {13, 400, "Event field cannot be blank"},
    {14, 400, "ACK is disabled"},
    {15, 400, "Error in handling indexed fields"},
    {16, 400, "Query string authorization is not enabled"},
    {17, 200, "HEC is healthy"},
    {18, 503, "HEC is unhealthy, queues are full"},
    {19, 503, "HEC is unhealthy, ack service unavailable"},
    {20, 503, "HEC is unhealthy, queues are full, ack service unavailable"},
    {21, 400, "Invalid token"},
    {22, 400, "Token disabled"},
    {23, 503, "Server is shutting down"},
    {24, 200, "HEC queue is approaching its capacity limit"},
};

bool count(const rapidjson::Value& v, uint64_t* out) {
  if (!v.IsUint64()) return false;
  *out = v.GetUint64();
  return true;
}

}  // namespace

const HecStatus* hec_status(int code) {
  for (const auto& status : kStatuses)
    if (status.code == code) return &status;
  return nullptr;
}

FakeResponse hec_response(int code, int64_t invalid_event_number, int64_t ack_id, int http_status,
                          const std::string& text) {
  const HecStatus* status = hec_status(code);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  out.Key("text");
  if (!text.empty()) {
    out.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  } else {
    out.String(status != nullptr ? status->text : "Unknown error");
  }
  out.Key("code");
  out.Int(code);
  if (invalid_event_number >= 0) {
    out.Key("invalid-event-number");
    out.Int64(invalid_event_number);
  }
  if (ack_id >= 0) {
    out.Key("ackId");
    out.Int64(ack_id);
  }
  out.EndObject();
  FakeResponse response;
  response.status =
      http_status != 0 ? http_status : (status != nullptr ? status->http_status : 500);
  response.headers.emplace_back("Content-Type", "application/json; charset=UTF-8");
  response.body.assign(buffer.GetString(), buffer.GetSize());
  return response;
}

std::string apply_faults(std::string_view json, Faults& faults, Random& random) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError())
    return std::string("invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError());
  if (!doc.IsObject()) return "the body must be a JSON object";
  Faults next = faults;
  for (const auto& member : doc.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    const rapidjson::Value& v = member.value;
    bool ok = true;
    if (key == "requests_code") {
      ok = v.IsInt() && hec_status(v.GetInt()) != nullptr;
      if (ok) next.requests_code = v.GetInt();
    } else if (key == "requests_status") {
      ok = v.IsInt() && (v.GetInt() == 0 || (v.GetInt() >= 200 && v.GetInt() <= 599));
      if (ok) next.requests_status = v.GetInt();
    } else if (key == "requests_count") {
      ok = count(v, &next.requests_count);
    } else if (key == "retry_after") {
      if (v.IsString()) {
        next.retry_after.assign(v.GetString(), v.GetStringLength());
      } else if (v.IsUint64()) {
        next.retry_after = std::to_string(v.GetUint64());
      } else {
        ok = false;
      }
    } else if (key == "delay_ms") {
      ok = count(v, &next.delay_ms);
    } else if (key == "drop_requests") {
      ok = count(v, &next.drop_requests);
    } else if (key == "max_body_bytes") {
      ok = count(v, &next.max_body_bytes);
    } else if (key == "invalid_event_ids") {
      ok = v.IsArray();
      if (ok) {
        next.invalid_event_ids.clear();
        for (const auto& id : v.GetArray()) {
          ok = ok && id.IsString();
          if (ok) next.invalid_event_ids.emplace(id.GetString(), id.GetStringLength());
        }
      }
    } else if (key == "invalid_event_code") {
      ok = v.IsInt() && (v.GetInt() == 12 || v.GetInt() == 15);
      if (ok) next.invalid_event_code = v.GetInt();
    } else if (key == "health_code") {
      ok = v.IsInt() && hec_status(v.GetInt()) != nullptr;
      if (ok) next.health_code = v.GetInt();
    } else if (key == "ack_delay_ms") {
      ok = count(v, &next.ack_delay_ms);
    } else if (key == "ack_out_of_order") {
      ok = v.IsBool();
      if (ok) next.ack_out_of_order = v.GetBool();
    } else if (key == "ack_never_ratio") {
      ok = v.IsNumber() && v.GetDouble() >= 0 && v.GetDouble() <= 1;
      if (ok) next.ack_never_ratio = v.GetDouble();
    } else if (key == "seed") {
      ok = count(v, &next.seed);
    } else {
      return "unknown fault [" + std::string(key) + "]";
    }
    if (!ok) return "invalid value for fault [" + std::string(key) + "]";
  }
  if (doc.HasMember("seed")) random.seed(next.seed);
  faults = std::move(next);
  return "";
}

std::string faults_json(const Faults& faults) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  auto str = [&](const char* key, const std::string& value) {
    out.Key(key);
    out.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  auto u64 = [&](const char* key, uint64_t value) {
    out.Key(key);
    out.Uint64(value);
  };
  out.StartObject();
  out.Key("requests_code");
  out.Int(faults.requests_code);
  out.Key("requests_status");
  out.Int(faults.requests_status);
  u64("requests_count", faults.requests_count);
  str("retry_after", faults.retry_after);
  u64("delay_ms", faults.delay_ms);
  u64("drop_requests", faults.drop_requests);
  u64("max_body_bytes", faults.max_body_bytes);
  out.Key("invalid_event_ids");
  out.StartArray();
  for (const auto& id : faults.invalid_event_ids)
    out.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
  out.EndArray();
  out.Key("invalid_event_code");
  out.Int(faults.invalid_event_code);
  out.Key("health_code");
  out.Int(faults.health_code);
  u64("ack_delay_ms", faults.ack_delay_ms);
  out.Key("ack_out_of_order");
  out.Bool(faults.ack_out_of_order);
  out.Key("ack_never_ratio");
  out.Double(faults.ack_never_ratio);
  u64("seed", faults.seed);
  out.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

HecState::HecState(const Options& o) : options(o) {
  std::istringstream in(o.indexes);
  for (std::string index; std::getline(in, index, ',');)
    if (!index.empty()) allowed_indexes.insert(index);
  random.seed(faults.seed);
}

void HecState::reset() {
  stats = Stats{};
  indexed = 0;
  id_counts.clear();
  id_order.clear();
  events.clear();
  channels.clear();
}

}  // namespace auditrelay::fakes::hec
