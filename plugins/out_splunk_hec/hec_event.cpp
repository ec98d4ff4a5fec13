#include "plugins/out_splunk_hec/hec_event.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cstdio>
#include <memory>

namespace auditrelay::splunk_hec {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// What the scan found at one wanted path: nothing yet, something unusable (an object, a
// null), a scalar (a string unescaped, a number or boolean as written), or an array's scalar
// items.
struct Found {
  enum class Kind : uint8_t { kNone, kSkipped, kScalar, kArray } kind = Kind::kNone;
  std::string_view scalar;
  std::vector<std::string_view> items;
};

// Finds the wanted paths (`@timestamp` first, then the configured fields) in one document with
// simdjson's On-Demand API: it follows the dotted path of each member, descends only into
// objects on the way to a wanted path (the others are skipped, not parsed), and stops once
// every wanted path was seen. The first occurrence of a path counts; nothing inside an array is
// looked into. Strings point into the parser's buffer, valid until the next document.
class PathScanner {
 public:
  explicit PathScanner(const std::vector<std::string>& wanted)
      : wanted_(wanted), found_(wanted.size()) {}

  // False when the document is not a JSON object (as far as it was read).
  bool scan(std::string& padded) {
    for (Found& f : found_) {
      f.kind = Found::Kind::kNone;
      f.items.clear();
    }
    remaining_ = wanted_.size();
    path_.clear();
    const size_t size = padded.size();
    padded.reserve(size + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object root;
    if (parser_.iterate(padded.data(), size, padded.capacity()).get(doc) ||
        doc.get_object().get(root)) {
      return false;
    }
    return members(root) != Step::kError;
  }
  const std::vector<Found>& found() const { return found_; }

 private:
  enum class Step : uint8_t { kOn, kDone, kError };

  // The index of the wanted path equal to path_ (not seen yet), else -1; `on_the_way` tells
  // whether path_ leads to a wanted path.
  int match(bool& on_the_way) const {
    on_the_way = false;
    for (size_t i = 0; i < wanted_.size(); ++i) {
      const std::string& w = wanted_[i];
      if (w.size() == path_.size()) {
        if (w == path_ && found_[i].kind == Found::Kind::kNone) return static_cast<int>(i);
      } else if (w.size() > path_.size() && w[path_.size()] == '.' &&
                 w.compare(0, path_.size(), path_) == 0) {
        on_the_way = true;
      }
    }
    return -1;
  }

  Step members(simdjson::ondemand::object object) {
    const size_t base = path_.size();
    for (auto field : object) {
      std::string_view key;
      simdjson::ondemand::value value;
      if (field.unescaped_key().get(key) || field.value().get(value)) return Step::kError;
      path_.resize(base);
      if (base > 0) path_ += '.';
      path_.append(key);
      bool on_the_way = false;
      if (int i = match(on_the_way); i >= 0) {
        if (!take(value, found_[static_cast<size_t>(i)])) return Step::kError;
        if (--remaining_ == 0) return Step::kDone;
      } else if (on_the_way) {
        simdjson::ondemand::json_type type;
        if (value.type().get(type)) return Step::kError;
        if (type != simdjson::ondemand::json_type::object) continue;
        simdjson::ondemand::object inner;
        if (value.get_object().get(inner)) return Step::kError;
        if (Step step = members(inner); step != Step::kOn) return step;
      }
    }
    path_.resize(base);
    return Step::kOn;
  }

  // A string, number or boolean as HEC takes it; false for anything else.
  static bool scalar(simdjson::ondemand::value value, std::string_view& text) {
    simdjson::ondemand::json_type type;
    if (value.type().get(type)) return false;
    if (type == simdjson::ondemand::json_type::string) return !value.get_string().get(text);
    if (type != simdjson::ondemand::json_type::number &&
        type != simdjson::ondemand::json_type::boolean) {
      return false;
    }
    text = value.raw_json_token();
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                             text.back() == '\r')) {
      text.remove_suffix(1);
    }
    return true;
  }

  // Reads the value at a wanted path into `f`; false on a JSON error.
  static bool take(simdjson::ondemand::value value, Found& f) {
    f.kind = Found::Kind::kSkipped;
    simdjson::ondemand::json_type type;
    if (value.type().get(type)) return false;
    if (type == simdjson::ondemand::json_type::array) {
      simdjson::ondemand::array array;
      if (value.get_array().get(array)) return false;
      for (auto element : array) {
        simdjson::ondemand::value item;
        if (element.get(item)) return false;
        std::string_view text;
        if (scalar(item, text)) f.items.push_back(text);
      }
      f.kind = Found::Kind::kArray;
      return true;
    }
    if (scalar(value, f.scalar)) f.kind = Found::Kind::kScalar;
    return true;
  }

  const std::vector<std::string>& wanted_;
  std::vector<Found> found_;
  size_t remaining_ = 0;
  std::string path_;
  simdjson::ondemand::parser parser_;
};

}  // namespace

// What encoding one event needs, reused from event to event of a body: a padded copy of the
// document for simdjson and the scanner with its parser.
struct EventEncoder::Scratch {
  explicit Scratch(const std::vector<std::string>& wanted) : scanner(wanted) {}
  std::string copy;
  PathScanner scanner;
  rapidjson::StringBuffer fields;  // the indexed fields of the event being written
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

EventEncoder::EventEncoder(EventMetadata metadata) {
  wanted_.reserve(metadata.fields.size() + 1);
  wanted_.push_back("@timestamp");
  for (std::string& field : metadata.fields)
    wanted_.push_back(std::move(field));
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
  Scratch scratch(wanted_);
  append_event(document, out, scratch);
}

void EventEncoder::append_event(std::string_view document, std::string& out,
                                Scratch& scratch) const {
  scratch.copy.assign(document);
  // A scan that stopped early saw everything it wanted: the document came from the normalizer
  // through the checksummed buffer, and HEC refuses an invalid one by its number.
  const bool valid = scratch.scanner.scan(scratch.copy);
  const std::vector<Found>& found = scratch.scanner.found();

  out += '{';
  std::optional<std::string> time;
  if (valid && found[0].kind == Found::Kind::kScalar) time = epoch_seconds(found[0].scalar);
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

  if (valid && found.size() > 1) {
    rapidjson::StringBuffer& buffer = scratch.fields;
    buffer.Clear();
    Writer writer(buffer);
    writer.StartObject();
    bool any = false;
    for (size_t i = 1; i < found.size(); ++i) {
      const Found& f = found[i];
      const bool scalar = f.kind == Found::Kind::kScalar;
      if (!scalar && !(f.kind == Found::Kind::kArray && !f.items.empty())) continue;
      writer.Key(wanted_[i].data(), static_cast<rapidjson::SizeType>(wanted_[i].size()));
      if (scalar) {
        writer.String(f.scalar.data(), static_cast<rapidjson::SizeType>(f.scalar.size()));
      } else {
        writer.StartArray();
        for (std::string_view item : f.items)
          writer.String(item.data(), static_cast<rapidjson::SizeType>(item.size()));
        writer.EndArray();
      }
      any = true;
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
  Scratch scratch(wanted_);
  bool first = true;
  for (uint32_t i : items) {
    if (!first) out += '\n';
    first = false;
    append_event(batch[i].json, out, scratch);
  }
}

}  // namespace auditrelay::splunk_hec
