#include "plugins/out_splunk_hec/hec_event.h"

#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <memory>

namespace auditrelay::splunk_hec {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// What the scan found at one wanted path: nothing yet, a scalar (its text: a string
// unescaped, a number or boolean as written), or an array's scalar items.
struct Found {
  enum class Kind : uint8_t { kNone, kSkipped, kScalar, kArray } kind = Kind::kNone;
  std::string_view scalar;
  std::vector<std::string_view> items;
};

// A SAX handler over one document parsed in place: follows the dotted path of each member and
// keeps the values at the wanted paths (`@timestamp` first, then the configured fields), so no
// tree is built. The first occurrence of a path counts; arrays count only as member values, and
// nothing inside an array is looked into. Once every wanted path was seen it stops the parse.
class PathScanner : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, PathScanner> {
 public:
  explicit PathScanner(const std::vector<std::string>& wanted) : wanted_(wanted) {
    found_.resize(wanted.size());
  }

  void reset() {
    for (Found& f : found_) {
      f.kind = Found::Kind::kNone;
      f.items.clear();
    }
    remaining_ = wanted_.size();
    path_.clear();
    frames_.clear();
  }
  const std::vector<Found>& found() const { return found_; }
  bool stopped_early() const { return remaining_ == 0; }

  bool Null() { return scalar({}, false); }
  bool Bool(bool b) { return scalar(b ? "true" : "false", true); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return scalar({s, n}, true); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return scalar({s, n}, true); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    path_.resize(frames_.back().base);
    if (!path_.empty()) path_ += '.';
    path_.append(s, n);
    return true;
  }
  bool StartObject() {
    if (Found* f = member_slot(); f != nullptr) settle(*f, Found::Kind::kSkipped);
    frames_.push_back(Frame{path_.size(), false, looking(), nullptr});
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    path_.resize(frames_.back().base);
    frames_.pop_back();
    return remaining_ > 0;
  }
  bool StartArray() {
    Found* f = member_slot();
    if (f != nullptr) f->kind = Found::Kind::kArray;
    frames_.push_back(Frame{path_.size(), true, false, f});
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    if (Found* f = frames_.back().collecting; f != nullptr) settle(*f, Found::Kind::kArray);
    frames_.pop_back();
    return remaining_ > 0;
  }

 private:
  struct Frame {
    size_t base;  // path_'s length for this container's own path
    bool array;
    bool looking;       // members here can be wanted (not inside an array)
    Found* collecting;  // the wanted array being read, if this is one
  };

  bool looking() const { return frames_.empty() || frames_.back().looking; }

  // The slot of the member value about to be read, if its path is wanted and not seen yet.
  Found* member_slot() {
    if (frames_.empty() || frames_.back().array || !frames_.back().looking) return nullptr;
    for (size_t i = 0; i < wanted_.size(); ++i) {
      if (found_[i].kind == Found::Kind::kNone && wanted_[i] == path_) return &found_[i];
    }
    return nullptr;
  }

  void settle(Found& f, Found::Kind kind) {
    f.kind = kind;
    --remaining_;
  }

  bool scalar(std::string_view text, bool usable) {
    if (!frames_.empty() && frames_.back().array) {
      if (Found* f = frames_.back().collecting; f != nullptr && usable) f->items.push_back(text);
      return true;
    }
    if (Found* f = member_slot(); f != nullptr) {
      f->scalar = text;
      settle(*f, usable ? Found::Kind::kScalar : Found::Kind::kSkipped);
    }
    return remaining_ > 0;
  }

  const std::vector<std::string>& wanted_;
  std::vector<Found> found_;
  size_t remaining_ = 0;
  std::string path_;
  std::vector<Frame> frames_;
};

}  // namespace

// What encoding one event needs, reused from event to event of a body: a copy of the document
// to parse in place (strings point into it, nothing is copied) and the scanner's state.
struct EventEncoder::Scratch {
  explicit Scratch(const std::vector<std::string>& wanted) : scanner(wanted) {}
  std::string copy;
  PathScanner scanner;
  rapidjson::Reader reader;
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
  scratch.scanner.reset();
  rapidjson::InsituStringStream in(scratch.copy.data());
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::ParseResult parsed = scratch.reader.Parse<kFlags>(in, scratch.scanner);
  // A scan that stopped early saw everything it wanted: the document came from the normalizer
  // through the checksummed buffer, and HEC refuses an invalid one by its number. In place,
  // parsing stops at a NUL byte, which no valid document holds.
  const bool valid =
      (parsed || scratch.scanner.stopped_early()) && document.find('\0') == std::string_view::npos;
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
    rapidjson::StringBuffer buffer;
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
