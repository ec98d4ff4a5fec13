#include "tests/fakes/fake_elasticsearch/faults.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace auditrelay::fakes::es {
namespace {

bool ratio(const rapidjson::Value& v, double* out) {
  if (!v.IsNumber() || v.GetDouble() < 0 || v.GetDouble() > 1) return false;
  *out = v.GetDouble();
  return true;
}

}  // namespace

std::string apply_faults(std::string_view json, Faults& faults, Random& random) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError())
    return std::string("invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError());
  if (!doc.IsObject()) return "the body must be a JSON object";
  // Validate everything first, so a bad key changes nothing.
  Faults next = faults;
  for (const auto& member : doc.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    const rapidjson::Value& v = member.value;
    bool ok = true;
    if (key == "item_429_ratio") {
      ok = ratio(v, &next.item_429_ratio);
    } else if (key == "item_503_ratio") {
      ok = ratio(v, &next.item_503_ratio);
    } else if (key == "item_500_ratio") {
      ok = ratio(v, &next.item_500_ratio);
    } else if (key == "item_400_ids") {
      ok = fault_ids(v, &next.item_400_ids);
    } else if (key == "requests_status") {
      ok = v.IsInt() && v.GetInt() >= 400 && v.GetInt() <= 599;
      if (ok) next.requests_status = v.GetInt();
    } else if (key == "requests_count") {
      ok = fault_count(v, &next.requests_count);
    } else if (key == "retry_after") {
      ok = fault_retry_after(v, &next.retry_after);
    } else if (key == "max_body_bytes") {
      ok = fault_count(v, &next.max_body_bytes);
    } else if (key == "delay_ms") {
      ok = fault_count(v, &next.delay_ms);
    } else if (key == "drop_requests") {
      ok = fault_count(v, &next.drop_requests);
    } else if (key == "seed") {
      ok = fault_count(v, &next.seed);
    } else {
      return "unknown fault [" + std::string(key) + "]";
    }
    if (!ok) return "invalid value for fault [" + std::string(key) + "]";
  }
  if (doc.HasMember("seed")) random.seed(next.seed);
  faults = std::move(next);
  return "";
}

void write_faults(JsonOut& out, const Faults& faults) {
  out.StartObject();
  out.Key("item_429_ratio");
  out.Double(faults.item_429_ratio);
  out.Key("item_503_ratio");
  out.Double(faults.item_503_ratio);
  out.Key("item_500_ratio");
  out.Double(faults.item_500_ratio);
  out.Key("item_400_ids");
  out.StartArray();
  for (const auto& id : faults.item_400_ids)
    out.String(id);
  out.EndArray();
  out.Field("requests_status", faults.requests_status);
  out.Field("requests_count", faults.requests_count);
  out.Field("retry_after", faults.retry_after);
  out.Field("max_body_bytes", faults.max_body_bytes);
  out.Field("delay_ms", faults.delay_ms);
  out.Field("drop_requests", faults.drop_requests);
  out.Field("seed", faults.seed);
  out.EndObject();
}

}  // namespace auditrelay::fakes::es
