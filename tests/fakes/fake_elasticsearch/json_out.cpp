#include "tests/fakes/fake_elasticsearch/json_out.h"

#include <algorithm>

namespace auditrelay::fakes::es {

bool wildcard_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

}  // namespace

FilterPath::FilterPath(std::string_view spec) {
  while (!spec.empty()) {
    auto comma = spec.find(',');
    std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    // Exclusions ("-path") are not supported: ignoring one keeps more, never less.
    if (item.empty() || item.front() == '-') continue;
    std::vector<Segment> segments;
    while (true) {
      auto dot = item.find('.');
      std::string_view text = item.substr(0, dot);
      Segment::Kind kind = text == "**"                               ? Segment::Kind::kAnyPath
                           : text == "*"                              ? Segment::Kind::kAnyKey
                           : text.find('*') != std::string_view::npos ? Segment::Kind::kWildcard
                                                                      : Segment::Kind::kName;
      segments.push_back({kind, std::string(text)});
      if (dot == std::string_view::npos) break;
      item.remove_prefix(dot + 1);
    }
    patterns_.push_back(std::move(segments));
  }
}

bool FilterPath::add(uint32_t pattern, uint32_t segment, std::vector<uint32_t>& next) const {
  const auto& segments = patterns_[pattern];
  if (segment == segments.size()) return true;
  if (segments[segment].kind == Segment::Kind::kAnyPath && segment + 1 == segments.size()) {
    return true;
  }
  uint32_t state = pattern << 16 | segment;
  if (std::find(next.begin(), next.end(), state) == next.end()) next.push_back(state);
  return false;
}

bool FilterPath::initial(std::vector<uint32_t>& states) const {
  bool full = false;
  for (uint32_t p = 0; p < patterns_.size(); ++p)
    full = add(p, 0, states) || full;
  return full;
}

bool FilterPath::advance(const std::vector<uint32_t>& states, std::string_view key,
                         std::vector<uint32_t>& next) const {
  bool full = false;
  for (uint32_t state : states) {
    uint32_t p = state >> 16, i = state & 0xffff;
    const auto& segments = patterns_[p];
    if (segments[i].kind == Segment::Kind::kAnyPath) {
      full = add(p, i, next) || full;  // "**" takes this key too
      if (segments[i + 1].matches(key)) full = add(p, i + 2, next) || full;  // or none
    } else if (segments[i].matches(key)) {
      full = add(p, i + 1, next) || full;
    }
  }
  return full;
}

JsonOut::JsonOut(std::string& out, const FilterPath& filter)
    : output_{&out}, writer_(output_), filter_(filter), passthrough_(filter.empty()) {
  if (!passthrough_) root_included_ = filter_.initial(root_states_);
}

void JsonOut::emit_ancestors() {
  size_t first = depth_;
  while (first > 0 && !stack_[first - 1].emitted)
    --first;
  for (size_t f = first; f < depth_; ++f) {
    if (f > 0 && stack_[f - 1].object) writer_.Key(stack_[f].key.data(), stack_[f].key.size());
    if (stack_[f].object) {
      writer_.StartObject();
    } else {
      writer_.StartArray();
    }
    stack_[f].emitted = true;
  }
}

bool JsonOut::begin_value() {
  if (passthrough_) return true;
  if (depth_ == 0) return true;  // a bare root value
  const Frame& top = stack_[depth_ - 1];
  if (top.included) return true;  // its key went out already
  if (!top.object || !key_full_) return false;
  emit_ancestors();
  writer_.Key(key_.data(), key_.size());
  return true;
}

void JsonOut::start(bool object) {
  if (passthrough_) {
    object ? writer_.StartObject() : writer_.StartArray();
    return;
  }
  if (stack_.size() <= depth_) stack_.emplace_back();  // first: it may move the frames
  Frame& frame = stack_[depth_];
  frame.object = object;
  frame.emitted = false;
  bool parent_included = false;
  if (depth_ == 0) {
    frame.included = root_included_;
    frame.states = root_states_;
  } else {
    const Frame& top = stack_[depth_ - 1];
    parent_included = top.included;
    if (top.included) {
      frame.included = true;
      frame.states.clear();
    } else if (top.object) {
      frame.included = key_full_;
      frame.states.swap(key_states_);  // Key() clears key_states_ before its next use
      if (frame.included || !frame.states.empty()) frame.key.assign(key_);
    } else {
      frame.included = false;
      frame.states = top.states;  // arrays add no path segment
    }
  }
  ++depth_;
  if (parent_included) {
    object ? writer_.StartObject() : writer_.StartArray();
    frame.emitted = true;
  } else if (frame.included || depth_ == 1) {
    emit_ancestors();  // the root is always written: a filter matching nothing gives {}
  }
}

void JsonOut::end() {
  if (depth_ == 0) return;
  Frame& frame = stack_[--depth_];
  if (!frame.emitted) return;
  frame.object ? writer_.EndObject() : writer_.EndArray();
}

void JsonOut::StartObject() {
  start(true);
}
void JsonOut::StartArray() {
  start(false);
}
void JsonOut::EndObject() {
  if (passthrough_) {
    writer_.EndObject();
  } else {
    end();
  }
}
void JsonOut::EndArray() {
  if (passthrough_) {
    writer_.EndArray();
  } else {
    end();
  }
}

void JsonOut::Key(std::string_view key) {
  if (passthrough_ || stack_[depth_ - 1].included) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    return;
  }
  key_states_.clear();
  const Frame& top = stack_[depth_ - 1];
  key_full_ = !top.states.empty() && filter_.advance(top.states, key, key_states_);
  // Kept only if its value or something under it can be written (most keys of a filtered
  // response cannot).
  if (key_full_ || !key_states_.empty()) key_.assign(key);
}

void JsonOut::String(std::string_view value) {
  if (begin_value()) writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void JsonOut::Int64(int64_t value) {
  if (begin_value()) writer_.Int64(value);
}
void JsonOut::Uint64(uint64_t value) {
  if (begin_value()) writer_.Uint64(value);
}
void JsonOut::Bool(bool value) {
  if (begin_value()) writer_.Bool(value);
}
void JsonOut::Null() {
  if (begin_value()) writer_.Null();
}
void JsonOut::Double(double value) {
  if (begin_value()) writer_.Double(value);
}
void JsonOut::Raw(std::string_view json) {
  if (begin_value()) writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}
void JsonOut::FilteredElement(std::string_view json) {
  if (json.empty()) return;
  if (!passthrough_) emit_ancestors();
  writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

}  // namespace auditrelay::fakes::es
