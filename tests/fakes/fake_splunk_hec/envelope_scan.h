// EnvelopeScan: the checks of one HEC event envelope as a rapidjson SAX handler. Used by
// event_reader.cpp only.
#pragma once

#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::fakes::hec {

inline bool is_hec_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// What the checks of one event need, gathered while it is parsed (SAX, no DOM): the same
// answers as looking at its rapidjson::Document would give, where a key given twice counts
// by its first occurrence (FindMember) except in `fields`, whose every member is checked.
// EventReader's reference: it decides wherever simdjson's verdict could differ.
class EnvelopeScan {
 public:
  void reset() {
    stack_.clear();
    root_object_ = has_event_ = event_blank_ = event_object_ = false;
    has_index_ = index_string_ = has_fields_ = fields_valid_ = false;
    has_ecs_ = ecs_object_ = has_plain_id_ = has_ecs_id_ = false;
    plain_id_ = ecs_id_ = Id{};
    slot_ = Slot::kRoot;
  }

  bool root_object() const { return root_object_; }
  bool has_event() const { return has_event_; }
  bool event_blank() const { return event_blank_; }
  bool has_index() const { return has_index_; }
  bool index_string() const { return index_string_; }  // its value then in index()
  const std::string& index() const { return index_; }
  bool fields_valid() const { return !has_fields_ || fields_valid_; }
  // The record id: event.event.id when event.event is an object with an id, else event.id,
  // as a string or number; "" when absent.
  void event_id(std::string& out) const {
    out.clear();
    if (!event_object_) return;
    const Id& id = has_ecs_id_ ? ecs_id_ : plain_id_;
    if (id.present) out.assign(id.text);
  }

  // SAX handler.
  bool Null() { return scalar(Kind::kNull); }
  bool Bool(bool) { return scalar(Kind::kOther); }
  bool Int(int i) {
    return number([&](auto& w) { w.Int(i); });
  }
  bool Uint(unsigned u) {
    return number([&](auto& w) { w.Uint(u); });
  }
  bool Int64(int64_t i) {
    return number([&](auto& w) { w.Int64(i); });
  }
  bool Uint64(uint64_t u) {
    return number([&](auto& w) { w.Uint64(u); });
  }
  bool Double(double d) {
    return number([&](auto& w) { w.Double(d); });
  }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return scalar(Kind::kOther); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    Slot slot = take_slot();
    std::string_view text(s, n);
    switch (slot) {
      case Slot::kEvent:
        event_blank_ = std::all_of(text.begin(), text.end(), is_hec_space);
        break;
      case Slot::kIndex:
        index_string_ = true;
        index_.assign(text);
        break;
      case Slot::kPlainId:
      case Slot::kEcsId: {
        Id& id = slot == Slot::kPlainId ? plain_id_ : ecs_id_;
        id.present = true;
        id.text.assign(text);
        break;
      }
      default:
        break;  // a string is a valid field value or array element
    }
    return true;
  }
  bool StartObject() {
    Slot slot = take_slot();
    Frame frame = Frame::kOther;
    switch (slot) {
      case Slot::kRoot:
        root_object_ = true;
        frame = Frame::kRoot;
        break;
      case Slot::kEvent:
        event_object_ = true;
        frame = Frame::kEvent;
        break;
      case Slot::kFields:
        fields_valid_ = true;
        frame = Frame::kFields;
        break;
      case Slot::kEcs:
        ecs_object_ = true;
        frame = Frame::kEcs;
        break;
      default:
        invalid_field_value(slot);
        break;
    }
    stack_.push_back(frame);
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    std::string_view key(s, n);
    slot_ = Slot::kNone;
    switch (stack_.back()) {
      case Frame::kRoot:
        if (key == "event" && !has_event_) {
          has_event_ = true;
          slot_ = Slot::kEvent;
        } else if (key == "index" && !has_index_) {
          has_index_ = true;
          slot_ = Slot::kIndex;
        } else if (key == "fields" && !has_fields_) {
          has_fields_ = true;
          slot_ = Slot::kFields;
        }
        break;
      case Frame::kEvent:
        if (key == "event" && !has_ecs_) {
          has_ecs_ = true;
          slot_ = Slot::kEcs;
        } else if (key == "id" && !has_plain_id_) {
          has_plain_id_ = true;
          slot_ = Slot::kPlainId;
        }
        break;
      case Frame::kEcs:
        if (key == "id" && !has_ecs_id_) {
          has_ecs_id_ = true;
          slot_ = Slot::kEcsId;
        }
        break;
      case Frame::kFields:
        slot_ = Slot::kFieldValue;
        break;
      default:
        break;
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    stack_.pop_back();
    return true;
  }
  bool StartArray() {
    Slot slot = take_slot();
    Frame frame = Frame::kOther;
    if (slot == Slot::kFieldValue) {
      frame = Frame::kFieldArray;
    } else {
      invalid_field_value(slot);
    }
    stack_.push_back(frame);
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    stack_.pop_back();
    return true;
  }

 private:
  enum class Frame : uint8_t { kRoot, kEvent, kEcs, kFields, kFieldArray, kOther };
  // What the next value is to the checks.
  enum class Slot : uint8_t {
    kNone,
    kRoot,
    kEvent,       // envelope.event
    kIndex,       // envelope.index
    kFields,      // envelope.fields
    kFieldValue,  // a member of envelope.fields
    kFieldElem,   // an element of an array in envelope.fields
    kEcs,         // envelope.event.event
    kPlainId,     // envelope.event.id
    kEcsId,       // envelope.event.event.id
  };
  enum class Kind : uint8_t { kNull, kOther };
  struct Id {
    bool present = false;  // a string or a number, as text
    std::string text;
  };

  Slot take_slot() {
    if (!stack_.empty() && stack_.back() == Frame::kFieldArray) return Slot::kFieldElem;
    Slot slot = slot_;
    slot_ = Slot::kNone;
    return slot;
  }
  void invalid_field_value(Slot slot) {
    if (slot == Slot::kFields || slot == Slot::kFieldValue || slot == Slot::kFieldElem)
      fields_valid_ = false;
  }
  bool scalar(Kind kind) {
    Slot slot = take_slot();
    if (slot == Slot::kEvent) event_blank_ = kind == Kind::kNull;
    invalid_field_value(slot);
    return true;
  }
  template <typename Write>
  bool number(Write write) {
    Slot slot = take_slot();
    if (slot == Slot::kPlainId || slot == Slot::kEcsId) {
      // Written as the Document's Accept would write the value.
      Id& id = slot == Slot::kPlainId ? plain_id_ : ecs_id_;
      number_.Clear();
      rapidjson::Writer<rapidjson::StringBuffer> out(number_);
      write(out);
      id.present = true;
      id.text.assign(number_.GetString(), number_.GetSize());
    }
    invalid_field_value(slot);
    return true;
  }

  std::vector<Frame> stack_;
  Slot slot_ = Slot::kRoot;
  bool root_object_ = false;
  bool has_event_ = false;
  bool event_blank_ = false;
  bool event_object_ = false;
  bool has_index_ = false;
  bool index_string_ = false;
  std::string index_;
  bool has_fields_ = false;
  bool fields_valid_ = false;
  bool has_ecs_ = false;
  bool ecs_object_ = false;
  bool has_plain_id_ = false;
  bool has_ecs_id_ = false;
  Id plain_id_;
  Id ecs_id_;
  rapidjson::StringBuffer number_;
};

}  // namespace auditrelay::fakes::hec
