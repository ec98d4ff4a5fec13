#include "tests/fakes/fake_splunk_hec/event_reader.h"

#include <rapidjson/reader.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "tests/fakes/fake_splunk_hec/envelope_scan.h"

namespace auditrelay::fakes::hec {
namespace {

namespace dom = simdjson::dom;

// One stage-1 pass of simdjson covers this much of a body; an event longer than that goes to
// the reference scan.
constexpr size_t kBatchBytes = size_t{4} << 20;
// Restarts of simdjson's stream per body after an event it could not take.
constexpr int kMaxRestarts = 4;

// An element's value of a type already checked.
template <typename T>
T as(dom::element element) {
  T value{};
  [[maybe_unused]] simdjson::error_code error = element.get(value);
  return value;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Whether rapidjson accepts every number of this document, which simdjson accepted: rapidjson
// refuses an integer part of more than 308 digits ("1...1e-300"), so no run of 300 digits
// (which would cross a multiple of 256) may appear. (It also refuses a zero written with a
// large exponent, "0e400", which simdjson reads as 0: there this fake answers as simdjson.)
bool numbers_agree(std::string_view source) {
  for (size_t at = 256; at < source.size(); at += 256) {
    if (!is_digit(source[at])) continue;
    size_t first = at, last = at;
    while (first > 0 && is_digit(source[first - 1]))
      --first;
    while (last + 1 < source.size() && is_digit(source[last + 1]))
      ++last;
    if (last - first + 1 >= 300) return false;
  }
  return true;
}

// `fields`: an object whose values are strings or arrays of strings.
bool fields_valid(dom::element fields) {
  dom::object object;
  if (fields.get(object) != simdjson::SUCCESS) return false;
  for (dom::key_value_pair field : object) {
    switch (field.value.type()) {
      case dom::element_type::STRING:
        break;
      case dom::element_type::ARRAY:
        for (dom::element element : as<dom::array>(field.value))
          if (element.type() != dom::element_type::STRING) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

// The first member named `key`, as EnvelopeScan (and rapidjson's FindMember) take it.
bool find_first(dom::object object, std::string_view key, dom::element& value) {
  for (dom::key_value_pair member : object) {
    if (member.key == key) {
      value = member.value;
      return true;
    }
  }
  return false;
}

// EnvelopeScan's checks of a parsed envelope: *code, and *id for a valid one. False when the id
// is a double, whose text is rapidjson's Writer's (Grisu) of rapidjson's own parse.
bool check(dom::object root, const std::unordered_set<std::string>& allowed_indexes,
           std::string& index_buffer, int* code, std::string* id_text) {
  dom::element body, index, fields;
  bool has_event = false, has_index = false, has_fields = false;
  for (dom::key_value_pair member : root) {
    if (member.key == "event") {
      if (!has_event) body = member.value;
      has_event = true;
    } else if (member.key == "index") {
      if (!has_index) index = member.value;
      has_index = true;
    } else if (member.key == "fields") {
      if (!has_fields) fields = member.value;
      has_fields = true;
    }
  }
  *code = 12;
  if (!has_event) return true;
  dom::element_type event_type = body.type();
  bool blank = event_type == dom::element_type::NULL_VALUE;
  if (event_type == dom::element_type::STRING) {
    std::string_view text = as<std::string_view>(body);
    blank = std::all_of(text.begin(), text.end(), is_hec_space);
  }
  *code = 13;
  if (blank) return true;
  *code = 7;
  if (has_index) {
    if (!index.is_string()) return true;
    index_buffer.assign(as<std::string_view>(index));
    if (allowed_indexes.count(index_buffer) == 0) return true;
  }
  *code = 15;
  if (has_fields && !fields_valid(fields)) return true;
  *code = 0;

  // The id: event.event.id when event.event is an object with an id member, else event.id.
  id_text->clear();
  if (event_type != dom::element_type::OBJECT) return true;
  dom::object object = as<dom::object>(body);
  dom::element ecs, id;
  bool has_id = false;
  if (find_first(object, "event", ecs) && ecs.is_object())
    has_id = find_first(as<dom::object>(ecs), "id", id);
  if (!has_id) has_id = find_first(object, "id", id);
  if (!has_id) return true;
  char number[24];
  switch (id.type()) {
    case dom::element_type::STRING:
      id_text->assign(as<std::string_view>(id));
      break;
    case dom::element_type::INT64:
      id_text->assign(number, std::to_chars(number, number + sizeof number, as<int64_t>(id)).ptr);
      break;
    case dom::element_type::UINT64:
      id_text->assign(number, std::to_chars(number, number + sizeof number, as<uint64_t>(id)).ptr);
      break;
    case dom::element_type::DOUBLE:
      return false;
    default:
      break;  // null, true, an object...: no id
  }
  return true;
}

}  // namespace

struct EventReader::Parsers {
  dom::parser simd;
  dom::document_stream stream;
  dom::document_stream::iterator at;  // the document at pos_ while streaming_
  rapidjson::Reader reader;           // reused: its stack stays allocated
  EnvelopeScan scan;
};

EventReader::EventReader() : parsers_(std::make_unique<Parsers>()) {
#ifdef SIMDJSON_THREADS_ENABLED
  parsers_->simd.threaded = false;  // no stage-1 thread per request
#endif
}

EventReader::~EventReader() = default;

void EventReader::start(const std::string& body,
                        const std::unordered_set<std::string>& allowed_indexes) {
  buffer_.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  buffer_.assign(body);
  allowed_indexes_ = &allowed_indexes;
  pos_ = 0;
  restarts_left_ = kMaxRestarts;
  stream_from(0);
}

void EventReader::stream_from(size_t pos) {
  Parsers& p = *parsers_;
  stream_base_ = pos;
  streaming_ =
      p.simd.parse_many(buffer_.data() + pos, buffer_.size() - pos, kBatchBytes).get(p.stream) ==
      simdjson::SUCCESS;
  if (streaming_) p.at = p.stream.begin();
}

bool EventReader::next(Event& event) {
  while (pos_ < buffer_.size() && is_hec_space(buffer_[pos_]))
    ++pos_;
  if (pos_ >= buffer_.size()) return false;
  event = Event{};
  event.offset = pos_;
  Parsers& p = *parsers_;
  dom::element root;
  // simdjson's document must be the one at pos_. One it could not parse ends its stream (and
  // invalid UTF-8 anywhere in a batch, which rapidjson accepts, ends it at once): the reference
  // reads that event, and the stream starts again after it, a few times per body at most.
  if (!streaming_ || !(p.at != p.stream.end()) || (*p.at).get(root) != simdjson::SUCCESS ||
      stream_base_ + p.at.current_index() != pos_) {
    streaming_ = false;
    next_slow(event);
    if (event.code == 0 && restarts_left_ > 0) {
      --restarts_left_;
      stream_from(pos_);
    }
    return true;
  }
  std::string_view source = p.at.source();
  if (root.type() != dom::element_type::OBJECT || !numbers_agree(source) ||
      !check(as<dom::object>(root), *allowed_indexes_, index_, &event.code, &id_)) {
    // A valid JSON value, so the reference reads the same extent if it accepts the event.
    next_slow(event);
    if (event.code != 0 || event.length != source.size()) {
      streaming_ = false;
    } else {
      ++p.at;
    }
    return true;
  }
  if (event.code == 0) {
    event.id = id_;
    event.length = source.size();
    pos_ += event.length;
    ++p.at;
  }
  return true;
}

void EventReader::next_slow(Event& event) {
  Parsers& p = *parsers_;
  EnvelopeScan& scan = p.scan;
  // buffer_ keeps a NUL after the body, which ends the stream as the body's end.
  rapidjson::StringStream in(buffer_.data() + pos_);
  scan.reset();
  if (p.reader.Parse<rapidjson::kParseStopWhenDoneFlag>(in, scan).IsError() || in.Tell() == 0) {
    event.code = 6;
  } else if (!scan.root_object() || !scan.has_event()) {
    event.code = 12;
  } else if (scan.event_blank()) {
    event.code = 13;
  } else if (scan.has_index() &&
             (!scan.index_string() || allowed_indexes_->count(scan.index()) == 0)) {
    event.code = 7;
  } else if (!scan.fields_valid()) {
    event.code = 15;
  } else {
    event.code = 0;
    event.length = in.Tell();
    scan.event_id(id_);
    event.id = id_;
    pos_ += event.length;
  }
}

}  // namespace auditrelay::fakes::hec
