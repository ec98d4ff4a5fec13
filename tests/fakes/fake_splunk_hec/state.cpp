#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
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
      ok = fault_count(v, &next.requests_count);
    } else if (key == "retry_after") {
      ok = fault_retry_after(v, &next.retry_after);
    } else if (key == "delay_ms") {
      ok = fault_count(v, &next.delay_ms);
    } else if (key == "drop_requests") {
      ok = fault_count(v, &next.drop_requests);
    } else if (key == "max_body_bytes") {
      ok = fault_count(v, &next.max_body_bytes);
    } else if (key == "invalid_event_ids") {
      ok = fault_ids(v, &next.invalid_event_ids);
    } else if (key == "invalid_event_code") {
      ok = v.IsInt() && (v.GetInt() == 12 || v.GetInt() == 15);
      if (ok) next.invalid_event_code = v.GetInt();
    } else if (key == "health_code") {
      ok = v.IsInt() && hec_status(v.GetInt()) != nullptr;
      if (ok) next.health_code = v.GetInt();
    } else if (key == "ack_delay_ms") {
      ok = fault_count(v, &next.ack_delay_ms);
    } else if (key == "ack_out_of_order") {
      ok = v.IsBool();
      if (ok) next.ack_out_of_order = v.GetBool();
    } else if (key == "ack_never_ratio") {
      ok = v.IsNumber() && v.GetDouble() >= 0 && v.GetDouble() <= 1;
      if (ok) next.ack_never_ratio = v.GetDouble();
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
  if (o.expect_events > 0) {
    // A benchmark's sink: make room for its events now, so that its CPU per event measured
    // later is the protocol's, not page faults. The stored events' chunks are allocated and
    // touched, and all of them are kept by reset().
    ids.reserve(o.expect_events);
    size_t bytes = std::min(o.expect_events, kMaxEvents) * kExpectedEventBytes;
    max_spare_chunks = std::max(kMaxSpareChunks, bytes / kChunkBytes + 2);
    while (spare_chunks.size() < max_spare_chunks) {
      spare_chunks.push_back(new_chunk(kChunkBytes));
      std::memset(spare_chunks.back().bytes.get(), 0, kChunkBytes);
    }
  }
}

void HecState::reset() {
  stats = Stats{};
  indexed = 0;
  ids.clear();
  events.clear();
  while (!chunks.empty()) {
    if (chunks.front().size == kChunkBytes && spare_chunks.size() < max_spare_chunks)
      spare_chunks.push_back(std::move(chunks.front()));
    chunks.pop_front();
  }
  first_chunk = 0;
  channels.clear();
}

IdCounts::IdCounts() {
  // Address space only: pages are touched as ids come, and never copied by a regrowth
  // below a million ids.
  entries_.reserve(size_t{1} << 20);
  bytes_.reserve(size_t{32} << 20);
}

void IdCounts::add(std::string_view id) {
  if ((entries_.size() + 1) * 2 > slots_.size()) grow();
  uint64_t hash = std::hash<std::string_view>()(id);
  uint64_t tag = hash & ~uint64_t{0xffffffff};
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint64_t slot = slots_[i];
    if (slot == 0) {
      entries_.push_back(Entry{bytes_.size(), static_cast<uint32_t>(id.size()), 1});
      bytes_.append(id);
      slots_[i] = tag | entries_.size();
      return;
    }
    if ((slot & ~uint64_t{0xffffffff}) == tag) {
      Entry& entry = entries_[(slot & 0xffffffff) - 1];
      if (this->id(entry) == id) {
        entry.count++;
        return;
      }
    }
  }
}

void IdCounts::grow() {
  std::vector<uint64_t> slots(std::max<size_t>(slots_.size() * 2, 1024), 0);
  size_t mask = slots.size() - 1;
  for (size_t n = 0; n < entries_.size(); ++n) {
    uint64_t hash = std::hash<std::string_view>()(id(entries_[n]));
    size_t i = hash & mask;
    while (slots[i] != 0)
      i = (i + 1) & mask;
    slots[i] = (hash & ~uint64_t{0xffffffff}) | (n + 1);
  }
  slots_ = std::move(slots);
}

void IdCounts::reserve(size_t ids) {
  size_t slots = 1024;
  while (slots < (ids + 1) * 2)
    slots *= 2;
  if (slots > slots_.size()) {
    slots_.resize(slots / 2);  // grow() doubles it and places the ids already in
    grow();
  }
  size_t entries = entries_.size(), bytes = bytes_.size();
  // Written once here so that the pages are faulted in now (ids are ~32 bytes).
  entries_.resize(std::max(entries, ids));
  entries_.resize(entries);
  bytes_.resize(std::max(bytes, ids * 32));
  bytes_.resize(bytes);
}

void IdCounts::clear() {
  bytes_.clear();
  entries_.clear();
  std::fill(slots_.begin(), slots_.end(), 0);
}

void HecState::StoredChunk::Free::operator()(char* p) const {
  std::free(p);
}

HecState::StoredChunk HecState::new_chunk(size_t size) {
  StoredChunk chunk;
  chunk.size = size;
  chunk.bytes.reset(static_cast<char*>(std::aligned_alloc(kChunkBytes, chunk.size)));
  if (!chunk.bytes) throw std::bad_alloc();
  // Some 100 MB of events are written once each: a fault per 2 MiB instead of per 4 KiB
  // (faults are most of what storing them would otherwise cost).
  madvise(chunk.bytes.get(), chunk.size, MADV_HUGEPAGE);
  return chunk;
}

void HecState::store(std::string_view body, bool never_acked,
                     const std::vector<std::pair<size_t, size_t>>& extents) {
  for (const auto& [offset, length] : extents) {
    if (chunks.empty() || chunks.back().size - chunks.back().used < length) {
      StoredChunk chunk;
      if (length <= kChunkBytes && !spare_chunks.empty()) {
        chunk = std::move(spare_chunks.back());
        spare_chunks.pop_back();
      } else {
        chunk = new_chunk((length + kChunkBytes - 1) / kChunkBytes * kChunkBytes);
      }
      chunk.used = 0;
      chunks.push_back(std::move(chunk));
    }
    StoredChunk& chunk = chunks.back();
    std::memcpy(chunk.bytes.get() + chunk.used, body.data() + offset, length);
    events.push_back(StoredEvent{first_chunk + chunks.size() - 1, chunk.used, length, never_acked});
    chunk.used += length;
  }
  while (events.size() > kMaxEvents) {
    events.pop_front();
    while (first_chunk < events.front().chunk) {
      if (chunks.front().size == kChunkBytes && spare_chunks.size() < max_spare_chunks)
        spare_chunks.push_back(std::move(chunks.front()));
      chunks.pop_front();
      first_chunk++;
    }
  }
}

std::string HecState::events_ndjson() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  for (const StoredEvent& event : events) {
    rapidjson::Document doc;
    const StoredChunk& chunk = chunks[event.chunk - first_chunk];
    // The bytes parsed as when the event was received, so the same envelope comes out.
    rapidjson::MemoryStream bytes(chunk.bytes.get() + event.offset, event.length);
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
    doc.ParseStream<rapidjson::kParseStopWhenDoneFlag>(in);
    if (event.never_acked) doc.AddMember("_fake_never_acked", true, doc.GetAllocator());
    out.Reset(buffer);
    doc.Accept(out);
    buffer.Put('\n');
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace auditrelay::fakes::hec
