#include "agent/normalize/ecs_writer.h"

namespace auditrelay::normalize {

void write_document_head(JsonWriter& w, const UtcTimestamp& timestamp,
                         const NormalizeOptions& options) {
  write_member(w, "@timestamp", timestamp.view());
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
}

void write_event_head(JsonWriter& w, const NormalizeOptions& options) {
  write_member(w, "dataset", options.dataset);
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
