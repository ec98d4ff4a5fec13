#include "plugins/out_splunk_hec/hec_event.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <memory>

namespace auditrelay::splunk_hec {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using Pool = rapidjson::MemoryPoolAllocator<>;
using PooledDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;

}  // namespace

// What parsing one event needs, reused from event to event of a body: a copy of the document
// to parse in place (strings point into it, nothing is copied) and an arena for the DOM and
// the parser's stack, so a document costs no allocation.
struct EventEncoder::Scratch {
  static constexpr size_t kArenaBytes = 64 * 1024;
  std::string copy;
  std::unique_ptr<char[]> arena = std::make_unique<char[]>(kArenaBytes);
  Pool pool{arena.get(), kArenaBytes};
};

namespace {

void append_json_string(std::string_view text, std::string& out) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  out.append(buffer.GetString(), buffer.GetSize());
}

bool digits(std::string_view text, size_t pos, size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil,
// https://howardhinnant.github.io/date_algorithms.html#days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// The member at `path` ("a.b.c"), as nested objects or as a member whose name holds dots
// ({"a.b": {"c": 1}}); null if absent.
const rapidjson::Value* find_path(const rapidjson::Value& object, std::string_view path) {
  if (!object.IsObject()) return nullptr;
  auto whole = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(path.data(), static_cast<rapidjson::SizeType>(path.size()))));
  if (whole != object.MemberEnd()) return &whole->value;
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    auto head = object.FindMember(
        rapidjson::Value(rapidjson::StringRef(path.data(), static_cast<rapidjson::SizeType>(dot))));
    if (head == object.MemberEnd()) continue;
    if (const rapidjson::Value* found = find_path(head->value, path.substr(dot + 1))) return found;
  }
  return nullptr;
}

// A field value as HEC takes it: a string; false for objects, nulls and the like.
bool write_scalar(const rapidjson::Value& value, Writer& writer) {
  if (value.IsString()) {
    writer.String(value.GetString(), value.GetStringLength());
    return true;
  }
  if (value.IsBool() || value.IsNumber()) {
    rapidjson::StringBuffer text;
    Writer number(text);
    value.Accept(number);
    writer.String(text.GetString(), static_cast<rapidjson::SizeType>(text.GetSize()));
    return true;
  }
  return false;
}

bool has_scalar(const rapidjson::Value& array) {
  for (const rapidjson::Value& item : array.GetArray()) {
    if (item.IsString() || item.IsBool() || item.IsNumber()) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> epoch_seconds(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) ||
      t[7] != '-' || !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !digits(t, 11, 2, hour) || t[13] != ':' || !digits(t, 14, 2, minute) || t[16] != ':' ||
      !digits(t, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int millis = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (pos - start < 3) millis = millis * 10 + (t[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (size_t n = pos - start; n < 3; ++n)
      millis *= 10;  // ".5" is 500 ms
  }
  int64_t offset = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(t, pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !digits(t, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (t[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  const int64_t seconds =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second - offset;
  if (seconds < 0) return std::nullopt;
  char text[32];
  int n = std::snprintf(text, sizeof text, "%lld.%03d", static_cast<long long>(seconds), millis);
  return std::string(text, static_cast<size_t>(n));
}

EventEncoder::EventEncoder(EventMetadata metadata) : fields_(std::move(metadata.fields)) {
  metadata_json_ = ",\"host\":";
  append_json_string(metadata.host, metadata_json_);
  metadata_json_ += ",\"source\":";
  append_json_string(metadata.source, metadata_json_);
  metadata_json_ += ",\"sourcetype\":";
  append_json_string(metadata.sourcetype, metadata_json_);
  if (!metadata.index.empty()) {
    metadata_json_ += ",\"index\":";
    append_json_string(metadata.index, metadata_json_);
  }
  metadata_json_ += ",\"event\":";
}

void EventEncoder::append_event(std::string_view document, std::string& out) const {
  Scratch scratch;
  append_event(document, out, scratch);
}

void EventEncoder::append_event(std::string_view document, std::string& out,
                                Scratch& scratch) const {
  scratch.pool.Clear();  // frees what outgrew the arena; the arena itself stays
  scratch.copy.assign(document);
  PooledDocument doc(&scratch.pool, 1024, &scratch.pool);
  doc.ParseInsitu(scratch.copy.data());
  // In place, parsing stops at a NUL byte, which no valid document holds.
  const bool valid = !doc.HasParseError() && document.find('\0') == std::string_view::npos;

  out += '{';
  std::optional<std::string> time;
  if (valid && doc.IsObject()) {
    if (auto ts = doc.FindMember("@timestamp"); ts != doc.MemberEnd() && ts->value.IsString()) {
      time = epoch_seconds({ts->value.GetString(), ts->value.GetStringLength()});
    }
  }
  if (time) {
    out += "\"time\":";
    out += *time;
  }
  // Without a time the metadata starts the object: drop its leading comma.
  out.append(time ? metadata_json_ : std::string_view(metadata_json_).substr(1));
  if (valid) {
    out.append(document);
  } else {
    append_json_string(document, out);
  }

  if (valid && doc.IsObject() && !fields_.empty()) {
    rapidjson::StringBuffer buffer;
    Writer writer(buffer);
    writer.StartObject();
    bool any = false;
    for (const std::string& path : fields_) {
      const rapidjson::Value* value = find_path(doc, path);
      if (value == nullptr) continue;
      if (value->IsArray()) {
        if (!has_scalar(*value)) continue;
        writer.Key(path.data(), static_cast<rapidjson::SizeType>(path.size()));
        writer.StartArray();
        for (const rapidjson::Value& item : value->GetArray())
          write_scalar(item, writer);
        writer.EndArray();
        any = true;
      } else if (value->IsString() || value->IsBool() || value->IsNumber()) {
        writer.Key(path.data(), static_cast<rapidjson::SizeType>(path.size()));
        write_scalar(*value, writer);
        any = true;
      }
    }
    writer.EndObject();
    if (any) {
      out += ",\"fields\":";
      out.append(buffer.GetString(), buffer.GetSize());
    }
  }
  out += '}';
}

void EventEncoder::append_body(const DocumentBatch& batch, std::span<const uint32_t> items,
                               std::string& out) const {
  size_t size = 0;
  for (uint32_t i : items)
    size += batch[i].json.size() + metadata_json_.size() + 96;
  out.reserve(out.size() + size);
  Scratch scratch;
  bool first = true;
  for (uint32_t i : items) {
    if (!first) out += '\n';
    first = false;
    append_event(batch[i].json, out, scratch);
  }
}

}  // namespace auditrelay::splunk_hec
