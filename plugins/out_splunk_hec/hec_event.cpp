#include "plugins/out_splunk_hec/hec_event.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace auditrelay::splunk_hec {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// A value as it goes into "fields": a JSON string token as written in the document (quotes and
// escapes kept, so nothing is unescaped and escaped again), or the text of a number or boolean,
// which is quoted on the way out.
struct Token {
  std::string_view text;
  bool quoted = false;
};

// What the scan found at one wanted path: nothing yet, something unusable (an object, a
// null), a scalar, or an array's scalar items.
struct Found {
  enum class Kind : uint8_t { kNone, kSkipped, kScalar, kArray } kind = Kind::kNone;
  Token scalar;
  std::vector<Token> items;
};

// Finds the wanted paths (`@timestamp` first, then the configured fields) in one document with
// simdjson's On-Demand API, in two ways:
// - a lookup through nested objects, keys compared as written (`find_field`, which skips the
//   members it passes without unescaping their keys): the common case, since documents come
//   from the normalizer with nested objects. Each object's wanted keys are looked up in the
//   order the previous document had them, so that a search rarely starts over.
// - when some path is not there that way (or the JSON is bad), a scan of every member that
//   follows each key against the wanted paths still open at that depth, unescaping keys that
//   hold an escape. It descends only into objects on the way to a wanted path and stops once
//   every wanted path was seen. A key holding dots matches as many path segments ("flat.key").
//   The first occurrence of a path counts.
// Nothing inside an array is looked into. Tokens point into the document, valid while it is.
class PathScanner {
 public:
  explicit PathScanner(const std::vector<std::string>& wanted)
      : wanted_(wanted), found_(wanted.size()), nodes_(1) {
    size_t depth = 1;
    for (const std::string& w : wanted)
      depth = std::max<size_t>(depth, 1 + static_cast<size_t>(std::count(w.begin(), w.end(), '.')));
    open_.reserve(wanted.size() * (depth + 1));  // never reallocated during a scan
    for (size_t i = 0; i < wanted.size(); ++i)
      add_to_tree(wanted[i], static_cast<int>(i));
  }

  // Scans `document`, which must be followed by SIMDJSON_PADDING readable bytes (`readable`
  // counts them with the document). False when it is not a JSON object (as far as it was read).
  bool scan(std::string_view document, size_t readable) {
    for (Found& f : found_) {
      f.kind = Found::Kind::kNone;
      f.items.clear();
    }
    remaining_ = wanted_.size();
    end_ = document.data() + document.size();
    open_.clear();
    for (size_t i = 0; i < wanted_.size(); ++i)
      open_.push_back({static_cast<uint32_t>(i), wanted_[i]});
    simdjson::ondemand::document doc;
    simdjson::ondemand::object root;
    if (parser_.iterate(document.data(), document.size(), readable).get(doc) ||
        doc.get_object().get(root)) {
      return false;
    }
    if (tree_usable_) {
      Lookup lookup = find_nested(root, nodes_[0], document.data());
      if (lookup == Lookup::kAll) return true;
      for (Found& f : found_) {
        f.kind = Found::Kind::kNone;
        f.items.clear();
      }
      // A JSON error leaves the iterator unusable: iterate again to report it.
      if (lookup == Lookup::kError) {
        if (parser_.iterate(document.data(), document.size(), readable).get(doc)) return false;
      } else {
        doc.rewind();
      }
      if (doc.get_object().get(root)) return false;
    }
    return members(root, 0, open_.size()) != Step::kError;
  }
  const std::vector<Found>& found() const { return found_; }

 private:
  enum class Step : uint8_t { kOn, kDone, kError };
  enum class Lookup : uint8_t { kAll, kMissing, kError };
  // The wanted paths as a tree of keys: a node's children are the keys looked up in its
  // object, in the order the last document had them; `leaf` is the wanted path that ends here.
  struct Node {
    std::string_view key;
    int leaf = -1;
    std::vector<uint32_t> children;  // indexes in nodes_
    size_t seen_at = 0;              // offset of its value in the last document
  };

  void add_to_tree(std::string_view path, int leaf) {
    uint32_t at = 0;
    for (size_t start = 0;;) {
      size_t dot = path.find('.', start);
      std::string_view key = path.substr(start, dot == std::string_view::npos ? dot : dot - start);
      // find_field compares keys as written: a key it could not match is left to the scan.
      if (key.empty() || key.find_first_of("\\\"") != std::string_view::npos) tree_usable_ = false;
      uint32_t next = 0;
      for (uint32_t c : nodes_[at].children)
        if (nodes_[c].key == key) next = c;
      if (next == 0) {
        next = static_cast<uint32_t>(nodes_.size());
        nodes_.push_back(Node{.key = key});
        nodes_[at].children.push_back(next);
      }
      at = next;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    nodes_[at].leaf = leaf;
  }

  // find_field_unordered: simdjson 3.0.1's own asserts, in its second pass, that the first pass
  // found the object well formed; a malformed one is then undefined behaviour. So: an ordered
  // search from where the iteration is, then one from the object's start (both check errors).
  static simdjson::error_code find_field(simdjson::ondemand::object& object, std::string_view key,
                                         simdjson::ondemand::value& value) {
    simdjson::error_code error = object.find_field(key).get(value);
    if (error != simdjson::NO_SUCH_FIELD) return error;
    bool not_empty = false;
    if ((error = object.reset().get(not_empty))) return error;
    return not_empty ? object.find_field(key).get(value) : simdjson::NO_SUCH_FIELD;
  }

  Lookup find_nested(simdjson::ondemand::object object, Node& node, const char* document) {
    bool in_order = true;
    size_t last = 0;
    for (uint32_t c : node.children) {
      Node& child = nodes_[c];
      simdjson::ondemand::value value;
      simdjson::error_code error = find_field(object, child.key, value);
      if (error == simdjson::NO_SUCH_FIELD) return Lookup::kMissing;
      if (error) return Lookup::kError;
      child.seen_at = static_cast<size_t>(value.raw_json_token().data() - document);
      in_order = in_order && child.seen_at > last;
      last = child.seen_at;
      if (child.leaf >= 0 && !take(value, found_[static_cast<size_t>(child.leaf)], child.leaf == 0))
        return Lookup::kError;
      if (child.children.empty()) continue;
      simdjson::ondemand::json_type type;
      simdjson::ondemand::object inner;
      if (value.type().get(type)) return Lookup::kError;
      if (type != simdjson::ondemand::json_type::object) return Lookup::kMissing;
      if (value.get_object().get(inner)) return Lookup::kError;
      if (Lookup inside = find_nested(inner, child, document); inside != Lookup::kAll)
        return inside;
    }
    if (!in_order) {
      std::sort(node.children.begin(), node.children.end(),
                [&](uint32_t a, uint32_t b) { return nodes_[a].seen_at < nodes_[b].seen_at; });
    }
    return Lookup::kAll;
  }
  // A wanted path still open at some depth: which one, and the rest of it from there.
  struct Open {
    uint32_t index;
    std::string_view rest;
  };

  // The key of `field` unescaped, read in place when it holds no escape (keys are short: a
  // plain loop beats memchr).
  bool key_of(simdjson::ondemand::field& field, std::string_view& key) const {
    const char* raw = field.key().raw();
    for (const char* p = raw; p < end_; ++p) {
      if (*p == '"') {
        key = std::string_view(raw, static_cast<size_t>(p - raw));
        return true;
      }
      if (*p == '\\') break;
    }
    return !field.unescaped_key().get(key);
  }

  // Members of an object whose open paths are open_[begin, end).
  Step members(simdjson::ondemand::object object, size_t begin, size_t end) {
    for (auto field_result : object) {
      simdjson::ondemand::field field;
      std::string_view key;
      if (std::move(field_result).get(field) || !key_of(field, key)) return Step::kError;
      const size_t children = open_.size();
      int match = -1;
      for (size_t k = begin; k < end; ++k) {
        const Open open = open_[k];
        if (found_[open.index].kind != Found::Kind::kNone) continue;
        const std::string_view rest = open.rest;
        if (rest.size() == key.size()) {
          if (match < 0 && rest == key) match = static_cast<int>(open.index);
        } else if (rest.size() > key.size() && rest[key.size()] == '.' &&
                   rest.compare(0, key.size(), key) == 0) {
          open_.push_back({open.index, rest.substr(key.size() + 1)});
        }
      }
      simdjson::ondemand::value value = field.value();
      Step step = Step::kOn;
      if (match >= 0) {
        if (!take(value, found_[static_cast<size_t>(match)], match == 0)) return Step::kError;
        if (--remaining_ == 0) step = Step::kDone;
      } else if (open_.size() > children) {
        simdjson::ondemand::json_type type;
        if (value.type().get(type)) return Step::kError;
        if (type == simdjson::ondemand::json_type::object) {
          simdjson::ondemand::object inner;
          if (value.get_object().get(inner)) return Step::kError;
          step = members(inner, children, open_.size());
        }
      }
      open_.resize(children);
      if (step != Step::kOn) return step;
    }
    return Step::kOn;
  }

  // A string, number or boolean as HEC takes it; false for anything else. `unescape` reads a
  // string's value instead of its token.
  static bool scalar(simdjson::ondemand::value value, Token& token, bool unescape) {
    simdjson::ondemand::json_type type;
    if (value.type().get(type)) return false;
    if (type == simdjson::ondemand::json_type::string && unescape) {
      return !value.get_string().get(token.text);
    }
    if (type != simdjson::ondemand::json_type::string &&
        type != simdjson::ondemand::json_type::number &&
        type != simdjson::ondemand::json_type::boolean) {
      return false;
    }
    std::string_view text = value.raw_json_token();
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                             text.back() == '\r')) {
      text.remove_suffix(1);
    }
    token = {text, type != simdjson::ondemand::json_type::string};
    return true;
  }

  // Reads the value at a wanted path into `f`; false on a JSON error.
  static bool take(simdjson::ondemand::value value, Found& f, bool unescape) {
    f.kind = Found::Kind::kSkipped;
    simdjson::ondemand::json_type type;
    if (value.type().get(type)) return false;
    if (type == simdjson::ondemand::json_type::array) {
      simdjson::ondemand::array array;
      if (value.get_array().get(array)) return false;
      for (auto element : array) {
        simdjson::ondemand::value item;
        if (element.get(item)) return false;
        Token token;
        if (scalar(item, token, unescape)) f.items.push_back(token);
      }
      f.kind = Found::Kind::kArray;
      return true;
    }
    if (scalar(value, f.scalar, unescape)) f.kind = Found::Kind::kScalar;
    return true;
  }

  const std::vector<std::string>& wanted_;
  std::vector<Found> found_;
  std::vector<Node> nodes_;  // [0]: the document's root object
  bool tree_usable_ = true;
  std::vector<Open> open_;
  size_t remaining_ = 0;
  const char* end_ = nullptr;
  simdjson::ondemand::parser parser_;
};

}  // namespace

// What encoding one event needs, reused from event to event of a body: the scanner with its
// parser, and a padded copy of a document that is not followed by enough readable bytes.
struct EventEncoder::Scratch {
  explicit Scratch(const std::vector<std::string>& wanted) : scanner(wanted) {}
  std::string copy;
  PathScanner scanner;
};

namespace {

void append_json_string(std::string_view text, std::string& out) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  out.append(buffer.GetString(), buffer.GetSize());
}

// A found value into "fields": a string token as written, a number or boolean quoted.
void append_token(const Token& token, std::string& out) {
  if (token.quoted) out += '"';
  out.append(token.text);
  if (token.quoted) out += '"';
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
  char* end = std::to_chars(text, text + sizeof text - 4, seconds).ptr;
  *end++ = '.';
  *end++ = static_cast<char>('0' + millis / 100);
  *end++ = static_cast<char>('0' + millis / 10 % 10);
  *end++ = static_cast<char>('0' + millis % 10);
  return std::string(text, end);
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
  field_keys_.resize(wanted_.size());
  for (size_t i = 1; i < wanted_.size(); ++i) {
    append_json_string(wanted_[i], field_keys_[i]);
    field_keys_[i] += ':';
  }
}

void EventEncoder::append_event(std::string_view document, std::string& out) const {
  Scratch scratch(wanted_);
  append_event(document, 0, out, scratch);
}

void EventEncoder::append_event(std::string_view document, size_t readable_after, std::string& out,
                                Scratch& scratch) const {
  // A scan that stopped early saw everything it wanted: the document came from the normalizer
  // through the checksummed buffer, and HEC refuses an invalid one by its number.
  bool valid;
  if (readable_after >= simdjson::SIMDJSON_PADDING) {
    valid = scratch.scanner.scan(document, document.size() + readable_after);
  } else {
    scratch.copy.reserve(document.size() + simdjson::SIMDJSON_PADDING);
    scratch.copy.assign(document);
    valid = scratch.scanner.scan(scratch.copy, scratch.copy.capacity());
  }
  const std::vector<Found>& found = scratch.scanner.found();

  out += '{';
  std::optional<std::string> time;
  if (valid && found[0].kind == Found::Kind::kScalar) time = epoch_seconds(found[0].scalar.text);
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

  bool any = false;
  for (size_t i = 1; valid && i < found.size(); ++i) {
    const Found& f = found[i];
    const bool scalar = f.kind == Found::Kind::kScalar;
    if (!scalar && !(f.kind == Found::Kind::kArray && !f.items.empty())) continue;
    out += any ? "," : ",\"fields\":{";
    any = true;
    out += field_keys_[i];
    if (scalar) {
      append_token(f.scalar, out);
      continue;
    }
    out += '[';
    for (size_t k = 0; k < f.items.size(); ++k) {
      if (k > 0) out += ',';
      append_token(f.items[k], out);
    }
    out += ']';
  }
  if (any) out += '}';
  out += '}';
}

void EventEncoder::append_body(const DocumentBatch& batch, std::span<const uint32_t> items,
                               std::string& out) const {
  // Room for the whole body, so that it is never copied as it grows: each event adds to its
  // document the metadata, a time, and the fields (their keys, and values allowed 48 bytes).
  size_t overhead = metadata_json_.size() + 48;
  for (const std::string& key : field_keys_)
    overhead += key.size() + 48;
  size_t size = 0;
  for (uint32_t i : items)
    size += batch[i].json.size() + overhead;
  out.reserve(out.size() + size);
  Scratch scratch(wanted_);
  const std::string_view all = batch.bytes_view();
  bool first = true;
  for (uint32_t i : items) {
    if (!first) out += '\n';
    first = false;
    const std::string_view json = batch[i].json;
    const size_t readable_after =
        static_cast<size_t>(all.data() + all.size() - json.data()) - json.size();
    append_event(json, readable_after, out, scratch);
  }
}

}  // namespace auditrelay::splunk_hec
