// Writing the output document straight to a byte buffer with rapidjson::Writer (no output
// DOM), plus the parts every schema shares: @timestamp, data_stream, service and the fixed
// event fields.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

#include "agent/normalize/event_type.h"
#include "agent/normalize/normalizer.h"
#include "agent/normalize/output_buffer.h"
#include "agent/normalize/timestamp.h"

namespace auditrelay::normalize {

using JsonWriter = rapidjson::Writer<OutputBuffer>;

inline void write_key(JsonWriter& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

inline void write_string(JsonWriter& w, std::string_view value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

inline void write_member(JsonWriter& w, std::string_view key, std::string_view value) {
  write_key(w, key);
  write_string(w, value);
}

// Copies `value` unchanged. Recursive, but the reader has bounded the nesting.
inline void write_value(JsonWriter& w, const rapidjson::Value& value) {
  value.Accept(w);
}

inline void write_member(JsonWriter& w, std::string_view key, const rapidjson::Value& value) {
  write_key(w, key);
  write_value(w, value);
}

// The values that depend on the options alone, rendered once as JSON text.
struct ConstantFields {
  explicit ConstantFields(const NormalizeOptions& options);
  std::string data_stream;  // {"type":"logs","dataset":...,"namespace":...}
  std::string service;      // {"name":...}
  std::string dataset;      // the dataset as a JSON string, for event.dataset
};

// "@timestamp", "data_stream" and "service": the head of every normalized document.
void write_document_head(JsonWriter& w, const UtcTimestamp& timestamp,
                         const ConstantFields& constants);

// The first members of the "event" object: dataset, kind and category.
void write_event_head(JsonWriter& w, const ConstantFields& constants);

// event.type and event.outcome.
void write_event_type(JsonWriter& w, const EventType& type);

}  // namespace auditrelay::normalize
