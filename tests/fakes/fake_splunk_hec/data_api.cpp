#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "tests/fakes/fake_splunk_hec/event_reader.h"
#include "tests/fakes/fake_splunk_hec/hec.h"

namespace auditrelay::fakes::hec {
namespace {

constexpr size_t kMaxInflated = size_t{1} << 31;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// 8-4-4-4-12 hexadecimal digits, as Splunk requires of a channel.
bool is_guid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// gzip (several members allowed) into `out`; false on a corrupt or truncated stream.
bool gunzip(const std::string& in, std::string& out) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return false;
  out.resize(std::max<size_t>(in.size() * 6, 64 * 1024));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= kMaxInflated) break;
      out.resize(out.size() * 2);
    }
    z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
    uInt before = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    produced += before - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 || inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0)) break;
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      rc = Z_DATA_ERROR;
      break;
    }
  }
  bool ok = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  out.resize(produced);
  return ok;
}

FakeResponse not_found() {
  return hec_response(404, -1, -1, 404, "The requested URL was not found on this server.");
}

FakeResponse method_not_allowed(const char* allowed) {
  FakeResponse response{{.status = 405}};
  response.headers.emplace_back("Allow", allowed);
  return response;
}

}  // namespace

DataApi::DataApi(HecState& state) : state_(state), events_(std::make_unique<EventReader>()) {}

DataApi::~DataApi() = default;

void DataApi::handle(const http::Request& request, const FakeRespond& respond) {
  std::string path = request.path();
  if (path.size() > 4 && path.compare(path.size() - 4, 4, "/1.0") == 0)
    path.resize(path.size() - 4);
  if (path == "/services/collector" || path == "/services/collector/event") {
    Stats& stats = state_.stats;
    stats.requests++;
    stats.bytes_received += request.body.size();
    if (state_.faults.drop_requests > 0) {
      state_.faults.drop_requests--;
      stats.requests_by_code["dropped"]++;
      respond(FakeResponse{{.drop = true}});
      return;
    }
    last_code_ = -1;
    FakeResponse response = event(request);
    stats.requests_by_code[last_code_ >= 0 ? std::to_string(last_code_)
                                           : "http_" + std::to_string(response.status)]++;
    response.delay_ms = state_.faults.delay_ms;
    respond(std::move(response));
  } else if (path == "/services/collector/ack") {
    respond(ack(request));
  } else if (path == "/services/collector/health") {
    if (request.method != "GET" && request.method != "HEAD") {
      respond(method_not_allowed("GET"));
      return;
    }
    respond(hec_response(state_.faults.health_code));
  } else {
    respond(not_found());
  }
}

FakeResponse DataApi::answer(int code, int64_t invalid_event_number, int64_t ack_id) {
  last_code_ = code;
  return hec_response(code, invalid_event_number, ack_id);
}

std::optional<FakeResponse> DataApi::check_token(const http::Request& request) {
  std::string authorization = request.header("Authorization");
  if (authorization.empty()) return answer(2);
  auto space = authorization.find(' ');
  if (space == std::string::npos || lower(authorization.substr(0, space)) != "splunk")
    return answer(3);
  std::string token = authorization.substr(space + 1);
  while (!token.empty() && is_space(token.back()))
    token.pop_back();
  while (!token.empty() && is_space(token.front()))
    token.erase(0, 1);
  if (token != state_.options.token) return answer(4);
  return std::nullopt;
}

std::string DataApi::channel(const http::Request& request, std::optional<FakeResponse>* error) {
  std::string channel = request.header("X-Splunk-Request-Channel");
  if (channel.empty()) channel = request.query_param("channel");
  if (channel.empty()) {
    *error = answer(10);
  } else if (!is_guid(channel)) {
    *error = answer(11);
  }
  return channel;
}

FakeResponse DataApi::event(const http::Request& request) {
  Faults& faults = state_.faults;
  if (faults.max_body_bytes > 0 && request.body.size() > faults.max_body_bytes) {
    // splunkd refuses an oversized body (max_content_length) before HEC reads it.
    last_code_ = 413;
    FakeResponse too_large = hec_response(413, -1, -1, 413, "Content too large");
    too_large.headers.emplace_back("Connection", "close");
    return too_large;
  }
  if (request.method != "POST") return method_not_allowed("POST");
  if (auto refused = check_token(request)) return std::move(*refused);
  if (faults.requests_count > 0) {
    faults.requests_count--;
    last_code_ = faults.requests_code;
    FakeResponse refused = hec_response(faults.requests_code, -1, -1, faults.requests_status);
    if (!faults.retry_after.empty())
      refused.headers.emplace_back("Retry-After", faults.retry_after);
    return refused;
  }
  std::string channel_id;
  if (state_.options.ack) {
    std::optional<FakeResponse> error;
    channel_id = channel(request, &error);
    if (error) return std::move(*error);
  }
  const std::string* body = &request.body;
  std::string encoding = lower(request.header("Content-Encoding"));
  if (encoding == "gzip" || encoding == "x-gzip") {
    if (!gunzip(request.body, inflated_)) return answer(6, 0);
    body = &inflated_;
  } else if (!encoding.empty() && encoding != "identity") {
    return answer(6, 0);
  }
  if (std::all_of(body->begin(), body->end(), is_space)) return answer(5);

  // Events are validated in order; those before the first invalid one are indexed, as a
  // real HEC does, and the rest of the request is not.
  events_->start(*body, state_.allowed_indexes);
  extents_.clear();
  int error_code = 0;
  int64_t number = 0;
  EventReader::Event event;
  while (events_->next(event)) {
    state_.stats.events_received++;
    if (event.code != 0) {
      error_code = event.code;
      break;
    }
    if (!faults.invalid_event_ids.empty() &&
        faults.invalid_event_ids.count(std::string(event.id)) > 0) {
      error_code = faults.invalid_event_code;
      break;
    }
    state_.indexed++;
    if (!event.id.empty()) state_.ids.add(event.id);
    extents_.emplace_back(event.offset, event.length);
    ++number;
  }

  int64_t ack_id = -1;
  bool never = false;
  if (error_code == 0 && state_.options.ack) {
    Channel& channel = state_.channels[channel_id];
    ack_id = static_cast<int64_t>(channel.next_ack_id++);
    PendingAck pending;
    pending.ready_at_ms = now_ms() + static_cast<int64_t>(faults.ack_delay_ms);
    if (faults.ack_out_of_order && ack_id % 2 == 0) pending.ready_at_ms += 200;
    never = faults.ack_never_ratio > 0 && state_.random.unit() < faults.ack_never_ratio;
    pending.never = never;
    channel.pending.emplace(static_cast<uint64_t>(ack_id), pending);
  }
  if (never) state_.stats.never_acked_events += static_cast<uint64_t>(number);
  state_.store(*body, never, extents_);
  if (error_code != 0) return answer(error_code, number);
  return answer(0, -1, ack_id);
}

FakeResponse DataApi::ack(const http::Request& request) {
  if (request.method != "POST") return method_not_allowed("POST");
  if (auto refused = check_token(request)) return std::move(*refused);
  if (!state_.options.ack) return answer(14);
  std::optional<FakeResponse> error;
  std::string channel_id = channel(request, &error);
  if (error) return std::move(*error);
  rapidjson::Document doc;
  doc.Parse(request.body.data(), request.body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("acks") || !doc["acks"].IsArray())
    return answer(6);
  for (const auto& id : doc["acks"].GetArray())
    if (!id.IsUint64()) return answer(6);
  state_.stats.acks_polled++;
  auto channel = state_.channels.find(channel_id);
  int64_t now = now_ms();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  out.Key("acks");
  out.StartObject();
  for (const auto& id : doc["acks"].GetArray()) {
    bool done = false;
    if (channel != state_.channels.end()) {
      auto pending = channel->second.pending.find(id.GetUint64());
      if (pending != channel->second.pending.end() && !pending->second.never &&
          now >= pending->second.ready_at_ms) {
        done = true;
        channel->second.pending.erase(pending);  // an ackId is reported true once
      }
    }
    std::string key = std::to_string(id.GetUint64());
    out.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    out.Bool(done);
  }
  out.EndObject();
  out.EndObject();
  FakeResponse response{{.status = 200}};
  response.headers.emplace_back("Content-Type", "application/json; charset=UTF-8");
  response.body.assign(buffer.GetString(), buffer.GetSize());
  return response;
}

}  // namespace auditrelay::fakes::hec
