#include "agent/normalize/ecs_writer.h"

namespace auditrelay::normalize {

namespace {

// Renders with rapidjson so that option values are escaped like every other string.
template <typename Render>
std::string render(Render&& render_into) {
  OutputBuffer buffer;
  JsonWriter w(buffer);
  render_into(w);
  return {buffer.GetString(), buffer.GetSize()};
}

void write_raw(JsonWriter& w, const std::string& json) {
  w.RawValue(json);
}

}  // namespace

ConstantFields::ConstantFields(const NormalizeOptions& options)
    : data_stream(render([&](JsonWriter& w) {
        w.StartObject();
        write_member(w, "type", "logs");
        write_member(w, "dataset", options.dataset);
        write_member(w, "namespace", options.namespace_);
        w.EndObject();
      })),
      service(render([&](JsonWriter& w) {
        w.StartObject();
        write_member(w, "name", options.service_name);
        w.EndObject();
      })),
      dataset(render([&](JsonWriter& w) { write_string(w, options.dataset); })) {}

void write_document_head(JsonWriter& w, const UtcTimestamp& timestamp,
                         const ConstantFields& constants) {
  write_member(w, "@timestamp", timestamp.view());
  write_key(w, "data_stream");
  write_raw(w, constants.data_stream);
  write_key(w, "service");
  write_raw(w, constants.service);
}

void write_event_head(JsonWriter& w, const ConstantFields& constants) {
  write_key(w, "dataset");
  write_raw(w, constants.dataset);
  write_member(w, "kind", "event");
  write_key(w, "category");
  w.StartArray();
  write_string(w, "api");
  w.EndArray();
}

void write_event_type(JsonWriter& w, const EventType& type) {
  write_key(w, "type");
  w.StartArray();
  if (type.allowed) write_string(w, "allowed");
  if (type.denied) write_string(w, "denied");
  if (type.change) write_string(w, "change");
  if (type.info) write_string(w, "info");
  w.EndArray();
  write_member(w, "outcome", event_outcome(type));
}

}  // namespace auditrelay::normalize
