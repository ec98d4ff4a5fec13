#include "agent/core/monitoring.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>

#include "agent/core/timestamp.h"

namespace auditrelay {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

MonitoringAnswer json_answer(int status, const rapidjson::StringBuffer& buffer) {
  return {status,
          {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}},
          std::string(buffer.GetString(), buffer.GetSize())};
}

void write_string(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

int64_t age_seconds(const std::optional<std::chrono::system_clock::time_point>& oldest) {
  if (!oldest) return 0;
  auto age =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *oldest);
  return std::max<int64_t>(0, age.count());
}

// The buffer keeps a record until every output has delivered it: its oldest record is the
// oldest any output still has to deliver.
int64_t buffer_oldest_age_seconds(const buffer::QueueStats& stats) {
  int64_t oldest = 0;
  for (const buffer::OutputBacklog& o : stats.outputs)
    oldest = std::max(oldest, age_seconds(o.oldest));
  return oldest;
}

const char* state_name(Health::Kind kind) {
  switch (kind) {
    case Health::Kind::kOutputFailing:
      return "failing";
    case Health::Kind::kOutputDisabled:
      return "disabled";
    case Health::Kind::kBufferFull:
      return "full";
  }
  return "unknown";
}

void write_input(JsonWriter& w, const Monitoring::InputReport& input, bool paused) {
  w.StartObject();
  w.Key("name");
  write_string(w, input.name);
  w.Key("type");
  write_string(w, input.type);
  w.Key("records");
  w.Uint64(input.records);
  w.Key("paused");
  w.Bool(paused);
  if (input.status.files) {
    w.Key("files");
    w.StartArray();
    for (const InputFileStatus& f : *input.status.files) {
      w.StartObject();
      w.Key("path");
      write_string(w, f.path);
      w.Key("offset");
      w.Uint64(f.offset);
      w.Key("size");
      w.Uint64(f.size);
      w.Key("lag_bytes");
      w.Uint64(f.size > f.offset ? f.size - f.offset : 0);
      w.Key("rotated");
      w.Bool(f.rotated);
      w.EndObject();
    }
    w.EndArray();
  }
  if (input.status.listen) {
    w.Key("listen");
    write_string(w, *input.status.listen);
  }
  if (input.status.connections) {
    w.Key("connections");
    w.Uint64(*input.status.connections);
  }
  if (input.status.requests_in_flight) {
    w.Key("requests_in_flight");
    w.Uint64(*input.status.requests_in_flight);
  }
  w.EndObject();
}

}  // namespace

Monitoring::Monitoring(const Health& health, MetricsRegistry& metrics, QueueStats queue_stats,
                       InputReports input_reports)
    : health_(health),
      metrics_(metrics),
      queue_stats_(std::move(queue_stats)),
      input_reports_(std::move(input_reports)) {
  metrics_
      .gauge("auditrelay_build_info", "Always 1; the version in a label",
             {{"version", AUDITRELAY_VERSION}})
      .set(1);
  segments_ = &metrics_.gauge("auditrelay_buffer_segments", "Segment files in the disk buffer");
  bytes_ = &metrics_.gauge("auditrelay_buffer_bytes", "Bytes of the disk buffer on disk");
  records_ = &metrics_.gauge("auditrelay_buffer_records",
                             "Records retained in the disk buffer (not yet delivered everywhere)");
  oldest_age_seconds_ =
      &metrics_.gauge("auditrelay_buffer_oldest_record_age_seconds",
                      "Age of the oldest record some output has yet to deliver (0: none waiting)");
}

Monitoring::OutputGauges& Monitoring::output_gauges(const std::string& name) {
  for (OutputGauges& g : outputs_) {
    if (g.name == name) return g;
  }
  MetricLabels labels{{"output", name}};
  return outputs_.emplace_back(OutputGauges{
      name,
      &metrics_.gauge("auditrelay_output_backlog_records",
                      "Records buffered and not yet delivered by this output", labels),
      &metrics_.gauge("auditrelay_output_backlog_bytes",
                      "This output's share of the buffer on disk (compressed)", labels),
      &metrics_.gauge("auditrelay_output_oldest_undelivered_age_seconds",
                      "Age of the oldest record this output has not delivered (0: none)", labels)});
}

buffer::QueueStats Monitoring::refresh() {
  buffer::QueueStats stats = queue_stats_();
  segments_->set(static_cast<int64_t>(stats.segments));
  bytes_->set(static_cast<int64_t>(stats.bytes_on_disk));
  records_->set(static_cast<int64_t>(stats.next_seq - stats.first_seq));
  oldest_age_seconds_->set(buffer_oldest_age_seconds(stats));
  for (const buffer::OutputBacklog& o : stats.outputs) {
    OutputGauges& g = output_gauges(o.output);
    g.backlog_records->set(static_cast<int64_t>(o.records));
    g.backlog_bytes->set(static_cast<int64_t>(o.bytes));
    g.oldest_age_seconds->set(age_seconds(o.oldest));
  }
  return stats;
}

MonitoringAnswer Monitoring::answer(std::string_view method, std::string_view path) {
  const bool known =
      path == "/api/v1/health" || path == "/api/v1/metrics/prometheus" || path == "/api/v1/status";
  if (!known) {
    return {404, {{"Content-Type", "text/plain"}}, "not found; try /api/v1/health\n"};
  }
  if (method != "GET" && method != "HEAD") {
    return {405, {{"Allow", "GET, HEAD"}, {"Content-Type", "text/plain"}}, "GET only\n"};
  }
  if (path == "/api/v1/health") return health();
  if (path == "/api/v1/status") return status();
  refresh();
  return {
      200,
      {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}, {"Cache-Control", "no-store"}},
      metrics_.render_prometheus()};
}

MonitoringAnswer Monitoring::health() const {
  Health::Report report = health_.report();
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("status");
  w.String(report.ok ? "ok" : "unhealthy");
  if (!report.ok) {
    w.Key("reasons");
    w.StartArray();
    for (const std::string& reason : report.reasons)
      write_string(w, reason);
    w.EndArray();
  }
  w.EndObject();
  return json_answer(report.ok ? 200 : 503, buffer);
}

MonitoringAnswer Monitoring::status() {
  const buffer::QueueStats stats = refresh();
  const Health::Report report = health_.report();
  const std::vector<Health::State> states = health_.states();
  auto state_of = [&](std::string_view subject) -> const Health::State* {
    for (const Health::State& s : states) {
      if (s.subject == subject) return &s;
    }
    return nullptr;
  };
  auto is_set = [&](std::string_view subject) {
    const Health::State* s = state_of(subject);
    return s != nullptr && s->set;
  };
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("status");
  w.String(report.ok ? "ok" : "unhealthy");
  w.Key("reasons");
  w.StartArray();
  for (const std::string& reason : report.reasons)
    write_string(w, reason);
  w.EndArray();

  w.Key("buffer");
  w.StartObject();
  w.Key("segments");
  w.Uint64(stats.segments);
  w.Key("bytes");
  w.Uint64(stats.bytes_on_disk);
  w.Key("records");
  w.Uint64(stats.next_seq - stats.first_seq);
  w.Key("oldest_record_age_seconds");
  w.Int64(buffer_oldest_age_seconds(stats));
  w.Key("dropped_records");
  w.Uint64(stats.dropped_records);
  w.Key("full");
  w.Bool(is_set("buffer"));
  w.EndObject();

  // Every input waits while the buffer is full (when_full: block): tail stops reading, http
  // answers 503. The pipeline sets the health condition "buffer" exactly then.
  const bool inputs_paused = is_set("buffer");
  w.Key("inputs");
  w.StartArray();
  if (input_reports_) {
    for (const InputReport& input : input_reports_())
      write_input(w, input, inputs_paused);
  }
  w.EndArray();

  w.Key("outputs");
  w.StartArray();
  for (const buffer::OutputBacklog& o : stats.outputs) {
    const Health::State* health = state_of("output " + o.output);
    const bool failing = health != nullptr && health->set;
    w.StartObject();
    w.Key("name");
    write_string(w, o.output);
    w.Key("state");
    w.String(failing ? state_name(health->kind) : "ok");
    if (failing) {
      w.Key("state_for_seconds");
      w.Int64(health->lasted.count());
    }
    if (health != nullptr) {  // the error of the current streak, or of the last one
      w.Key("last_error");
      write_string(w, health->reason);
      w.Key("last_error_at");
      write_string(w, utc_timestamp(health->reason_at));
      w.Key("last_error_seconds_ago");
      w.Int64(std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now() - health->reason_at)
                                       .count()));
    }
    if (failing && health->retry_at) {
      w.Key("retry_at");
      write_string(w, utc_timestamp(*health->retry_at));
      w.Key("retry_in_seconds");
      w.Double(std::max(
          0.0, std::chrono::duration<double>(*health->retry_at - std::chrono::system_clock::now())
                   .count()));
    }
    w.Key("backlog_records");
    w.Uint64(o.records);
    w.Key("backlog_bytes");
    w.Uint64(o.bytes);
    w.Key("oldest_undelivered_age_seconds");
    w.Int64(age_seconds(o.oldest));
    w.Key("cursor");
    w.Uint64(o.cursor);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json_answer(200, buffer);
}

}  // namespace auditrelay
