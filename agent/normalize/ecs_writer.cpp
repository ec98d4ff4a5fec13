#include "agent/normalize/ecs_writer.h"

#include <array>

namespace auditrelay::normalize {

namespace {

// Renders with our writer, so that option values are escaped like every other string.
template <typename Render>
std::string render(Render&& render_into) {
  OutputBuffer buffer;
  JsonWriter w(buffer);
  render_into(w);
  return {buffer.GetString(), buffer.GetSize()};
}

// The members an object rendered by `render_into` holds, without its braces.
template <typename Render>
std::string render_members(Render&& render_into) {
  std::string object = render([&](JsonWriter& w) {
    w.StartObject();
    render_into(w);
    w.EndObject();
  });
  return object.substr(1, object.size() - 2);
}

// "type":[...],"outcome":... for each of the 16 combinations of EventType's flags.
std::array<std::string, 16> render_event_types() {
  std::array<std::string, 16> out;
  for (unsigned bits = 0; bits < out.size(); ++bits) {
    const EventType type{.allowed = (bits & 1) != 0,
                         .denied = (bits & 2) != 0,
                         .change = (bits & 4) != 0,
                         .info = (bits & 8) != 0};
    out[bits] = render_members([&](JsonWriter& w) {
      write_key(w, "type");
      w.StartArray();
      if (type.allowed) write_string(w, "allowed");
      if (type.denied) write_string(w, "denied");
      if (type.change) write_string(w, "change");
      if (type.info) write_string(w, "info");
      w.EndArray();
      write_member(w, "outcome", event_outcome(type));
    });
  }
  return out;
}

}  // namespace

ConstantFields::ConstantFields(const NormalizeOptions& options)
    : head(render_members([&](JsonWriter& w) {
        write_key(w, "data_stream");
        w.StartObject();
        write_member(w, "type", "logs");
        write_member(w, "dataset", options.dataset);
        write_member(w, "namespace", options.namespace_);
        w.EndObject();
        write_key(w, "service");
        w.StartObject();
        write_member(w, "name", options.service_name);
        w.EndObject();
      })),
      event_head(render_members([&](JsonWriter& w) {
        write_member(w, "dataset", options.dataset);
        write_member(w, "kind", "event");
        write_key(w, "category");
        w.StartArray();
        write_string(w, "api");
        w.EndArray();
      })) {}

void write_container(JsonWriter& w, const simdjson::dom::element& value) {
  // Each range by value: a range-for over value_unsafe()'s result would iterate a destroyed
  // temporary.
  if (value.is_array()) {
    w.StartArray();
    const simdjson::dom::array array = value.get_array().value_unsafe();
    for (const simdjson::dom::element item : array)
      write_value(w, item);
    w.EndArray();
    return;
  }
  w.StartObject();
  const simdjson::dom::object object = value.get_object().value_unsafe();
  for (const simdjson::dom::key_value_pair member : object)
    write_record_member(w, member);
  w.EndObject();
}

void write_document_head(JsonWriter& w, const UtcTimestamp& timestamp,
                         const ConstantFields& constants) {
  write_member(w, "@timestamp", timestamp.view());
  w.RawMembers(constants.head);
}

void write_event_head(JsonWriter& w, const ConstantFields& constants) {
  w.RawMembers(constants.event_head);
}

void write_event_type(JsonWriter& w, const EventType& type) {
  static const std::array<std::string, 16> kRendered = render_event_types();
  const unsigned bits = (type.allowed ? 1u : 0u) | (type.denied ? 2u : 0u) |
                        (type.change ? 4u : 0u) | (type.info ? 8u : 0u);
  w.RawMembers(kRendered[bits]);
}

}  // namespace auditrelay::normalize
