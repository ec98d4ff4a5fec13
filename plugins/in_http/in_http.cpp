#include "plugins/in_http/in_http.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <map>
#include <memory>
#include <optional>

#include "agent/core/listen_address.h"
#include "agent/http/server.h"
#include "agent/http/tls.h"
#include "agent/loop/handle.h"
#include "plugins/in_http/bearer_token.h"
#include "plugins/in_http/request_body.h"

namespace auditrelay {
namespace {

using http_input::BearerToken;
using http_input::BodyFormat;
using http_input::DecodedBody;
using http_input::Encoding;

// tls: both keys are required once the section is written (checked by validate(): a section
// always exists, so its keys cannot be declared required).
constexpr std::array kTlsSpec{
    SettingSpec{.key = "cert_file",
                .type = SettingType::kPath,
                .doc = "PEM certificate (chain) the input presents to clients"},
    SettingSpec{.key = "key_file",
                .type = SettingType::kPath,
                .doc = "PEM private key of cert_file (unencrypted)"},
};

constexpr std::array kSettings{
    SettingSpec{.key = "listen",
                .type = SettingType::kString,
                .doc = "host:port to listen on (port 0: any free port, logged at start)",
                .required = true},
    SettingSpec{.key = "path",
                .type = SettingType::kString,
                .default_value = "/v1/audit",
                .doc = "The URL path records are POSTed to"},
    SettingSpec{.key = "token",
                .type = SettingType::kString,
                .doc = "When set, requests must carry 'Authorization: Bearer <token>'",
                .secret = true},
    SettingSpec{.key = "max_body_bytes",
                .type = SettingType::kSize,
                .default_value = "8MiB",
                .doc = "Larger request bodies (as sent) are answered 413"},
    SettingSpec{.key = "max_decompressed_bytes",
                .type = SettingType::kSize,
                .default_value = "64MiB",
                .doc = "Bodies larger than this once decompressed are answered 413"},
    SettingSpec{.key = "max_connections",
                .type = SettingType::kInt,
                .default_value = "256",
                .doc = "Client connections open at once; more are closed at once"},
    SettingSpec{.key = "header_timeout",
                .type = SettingType::kDuration,
                .default_value = "10s",
                .doc = "Time a client has to send a request's headers (then 408)"},
    SettingSpec{.key = "idle_timeout",
                .type = SettingType::kDuration,
                .default_value = "60s",
                .doc = "An idle keep-alive connection is closed after this long"},
    SettingSpec{.key = "tls",
                .type = SettingType::kSection,
                .doc = "Serve HTTPS with {cert_file, key_file} (TLS 1.2 or later)",
                .section = kTlsSpec},
};

// How long a client refused for a full buffer is asked to wait.
constexpr const char* kRetryAfterSeconds = "1";

std::string error_body(std::string_view message) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("error");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return out.GetString();
}

std::string result_body(size_t accepted,
                        const std::vector<std::pair<uint32_t, std::string>>& rejected) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("accepted");
  w.Uint64(accepted);
  w.Key("rejected");
  w.StartArray();
  for (const auto& [index, reason] : rejected) {
    w.StartObject();
    w.Key("index");
    w.Uint(index);
    w.Key("reason");
    w.String(reason);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out.GetString();
}

http::Response json_response(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

// A POST body after the worker thread decoded and split it.
struct PreparedBody {
  DecodedBody decoded;
  http_input::SplitBody split;
  std::string id_key;
};

class HttpInput : public Input {
 public:
  HttpInput(const Settings& settings, InputContext context)
      : ctx_(std::move(context)),
        log_("in_http[" + ctx_.name + "]"),
        address_(*parse_listen_address(settings.string("listen"))),
        path_(settings.string("path")),
        max_decompressed_(settings.size("max_decompressed_bytes")),
        once_timer_(ctx_.loop) {
    if (settings.has("token")) token_.emplace(settings.string("token"));
    if (settings.given("tls")) {
      const Settings& tls = settings.section("tls");
      cert_file_ = tls.string("cert_file");
      key_file_ = tls.string("key_file");
    }
    limits_.max_connections = static_cast<uint64_t>(settings.integer("max_connections"));
    limits_.header_timeout_ms = static_cast<uint64_t>(settings.duration("header_timeout").count());
    limits_.idle_timeout_ms = static_cast<uint64_t>(settings.duration("idle_timeout").count());
    limits_.max_body_bytes = settings.size("max_body_bytes");
    records_ = &ctx_.metrics->counter("auditrelay_http_records_received_total",
                                      "Records received in HTTP requests", {{"input", ctx_.name}});
  }

  void start() override {
    // Loaded again (validate() checked the files): they may have changed since. Throws
    // TlsFileError, which names the file, and start-up stops.
    std::shared_ptr<const http::TlsContext> tls;
    if (!cert_file_.empty()) tls = http::TlsContext::load(cert_file_, key_file_);
    server_ = std::make_unique<http::Server>(
        ctx_.loop,
        [this](const http::Request& request, http::Server::Respond respond) {
          handle(request, std::move(respond));
        },
        limits_);
    server_->use_tls(std::move(tls));
    server_->on_refused([this](int status) { count_status(status); });
    int port = server_->listen(address_.host, address_.port);
    bool v6 = address_.host.find(':') != std::string::npos;
    std::string where =
        (v6 ? "[" + address_.host + "]" : address_.host) + ":" + std::to_string(port);
    listening_ = where;
    if (server_->uses_tls()) {
      log_.info("listening", {{"address", where}, {"path", path_}, {"tls", "on"}});
    } else {
      log_.info("listening", {{"address", where}, {"path", path_}});
    }
    // --once: an HTTP input has nothing already there to read, so it is idle at once; the agent
    // then stops as soon as the other inputs are done too.
    if (ctx_.once && ctx_.on_idle) once_timer_.start(0, 0, [this] { ctx_.on_idle(); });
  }

  InputStatus status() const override {
    InputStatus result;
    if (!listening_.empty()) result.listen = listening_;
    result.connections = server_ ? server_->connections_open() : 0;
    result.requests_in_flight = in_flight_;
    return result;
  }

  void stop(std::function<void()> stopped) override {
    stopping_ = true;
    on_stopped_ = std::move(stopped);
    once_timer_.close();
    // No new connections; requests already read are answered once durable. The connections
    // themselves close with the server, when the input is destroyed.
    if (server_) server_->close_listener();
    maybe_finish_stop();
  }

 private:
  void answer(const http::Server::Respond& respond, http::Response response) {
    count_status(response.status);
    respond(std::move(response));
  }

  void count_status(int status) {
    Counter*& counter = by_status_[status];
    if (counter == nullptr) {
      counter = &ctx_.metrics->counter("auditrelay_http_requests_total",
                                       "HTTP requests answered, by status",
                                       {{"input", ctx_.name}, {"status", std::to_string(status)}});
    }
    counter->inc();
  }

  void handle(const http::Request& request, http::Server::Respond respond) {
    if (stopping_) {
      http::Response r = json_response(503, error_body("shutting down"));
      r.close = true;
      return answer(respond, std::move(r));
    }
    if (request.path() != path_)
      return answer(respond, json_response(404, error_body("not found")));
    if (request.method != "POST") {
      http::Response r = json_response(405, error_body("method not allowed; use POST"));
      r.headers.emplace_back("Allow", "POST");
      return answer(respond, std::move(r));
    }
    if (token_ && !token_->accepts(request.header("Authorization"))) {
      // Says nothing of the token; the token is never logged.
      log_.debug("request refused: missing or wrong bearer token", {{"peer", request.peer}});
      http::Response r = json_response(401, error_body("unauthorized"));
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return answer(respond, std::move(r));
    }
    std::optional<BodyFormat> format = http_input::body_format(request.header("Content-Type"));
    if (!format) {
      return answer(respond,
                    json_response(415, error_body("Content-Type must be application/json or "
                                                  "application/x-ndjson")));
    }
    std::optional<Encoding> encoding =
        http_input::body_encoding(request.header("Content-Encoding"));
    if (!encoding) {
      return answer(respond, json_response(415, error_body("Content-Encoding must be gzip, "
                                                           "zstd or identity")));
    }
    ++in_flight_;
    // Decompressing and splitting up to max_decompressed_bytes takes a while: off the loop.
    auto prepared = std::make_shared<PreparedBody>();
    std::string source = "http";
    if (!request.peer.empty()) source += ":" + request.peer;
    loop::queue_work(
        ctx_.loop,
        [prepared, body = request.body, format = *format, encoding = *encoding,
         max = max_decompressed_]() mutable {
          prepared->decoded = http_input::decode_body(std::move(body), encoding, max);
          if (prepared->decoded.status != DecodedBody::Status::kOk) return;
          prepared->split = http_input::split_body(prepared->decoded.bytes, format);
          prepared->id_key =
              http_input::body_id_key(prepared->decoded.bytes, prepared->split.shape);
        },
        [this, prepared, respond = std::move(respond), source = std::move(source)](
            const std::string& error) { submit(*prepared, error, source, respond); });
  }

  void submit(PreparedBody& prepared, const std::string& error, const std::string& source,
              const http::Server::Respond& respond) {
    auto fail = [&](int status, std::string message) {
      answer(respond, json_response(status, error_body(message)));
      --in_flight_;
      maybe_finish_stop();
    };
    if (!error.empty()) return fail(500, "internal error");
    if (prepared.decoded.status == DecodedBody::Status::kTooLarge) {
      return fail(413, "the decompressed body is over max_decompressed_bytes");
    }
    if (prepared.decoded.status == DecodedBody::Status::kInvalid) {
      return fail(400, "cannot decode the body: " + prepared.decoded.error);
    }
    if (!prepared.split.error.empty()) return fail(400, prepared.split.error);
    if (prepared.split.records.empty()) return fail(400, "the body holds no records");

    RawBatch batch;
    uint32_t source_index = batch.add_source({source, std::move(prepared.id_key)});
    batch.data() = std::move(prepared.decoded.bytes);
    uint64_t position = 0;
    for (const http_input::RecordSpan& span : prepared.split.records) {
      // The position is the record's index in the body: the same body gives the same ids.
      batch.add_record(source_index, position++, span.offset, span.size, span.size);
    }
    size_t count = batch.size();
    records_->inc(count);
    SubmitOptions options;
    options.refuse_when_full = true;
    ctx_.sink->submit_all(std::move(batch), options, [this, count, respond](SubmitResult result) {
      if (result.refused_full) {
        http::Response r =
            json_response(503, error_body("the buffer is full (storage.max_bytes); retry later"));
        r.headers.emplace_back("Retry-After", kRetryAfterSeconds);
        answer(respond, std::move(r));
      } else {
        size_t accepted = count - result.rejected.size();
        answer(respond,
               json_response(accepted > 0 ? 200 : 400, result_body(accepted, result.rejected)));
      }
      --in_flight_;
      maybe_finish_stop();
    });
  }

  void maybe_finish_stop() {
    if (!stopping_ || in_flight_ > 0 || !on_stopped_) return;
    auto stopped = std::move(on_stopped_);
    on_stopped_ = nullptr;
    stopped();
  }

  InputContext ctx_;
  Logger log_;
  ListenAddress address_;
  std::string path_;
  uint64_t max_decompressed_;
  std::optional<BearerToken> token_;
  std::string cert_file_;  // both empty: plaintext HTTP
  std::string key_file_;
  http::Server::Limits limits_;
  std::unique_ptr<http::Server> server_;
  loop::Timer once_timer_;
  bool stopping_ = false;
  size_t in_flight_ = 0;
  std::string listening_;  // HOST:PORT once listening
  std::function<void()> on_stopped_;
  Counter* records_;
  std::map<int, Counter*> by_status_;
};

// Both files present, readable, PEM, and the key that of the certificate; the messages name
// the file, never what it holds.
void validate_tls(const Settings& tls) {
  for (const char* key : {"cert_file", "key_file"}) {
    if (!tls.has(key)) {
      throw tls.error(key, std::string("missing required key '") + key +
                               "' (tls needs both cert_file and key_file)");
    }
  }
  try {
    http::TlsContext::load(tls.string("cert_file"), tls.string("key_file"));
  } catch (const http::TlsFileError& e) {
    throw tls.error(e.which() == http::TlsFileError::File::kCert ? "cert_file" : "key_file",
                    e.what());
  }
}

void validate(const Settings& settings) {
  if (!parse_listen_address(settings.string("listen"))) {
    throw settings.error(
        "listen", "'" + settings.string("listen") + "' is not host:port, [ipv6]:port or a port");
  }
  const std::string& path = settings.string("path");
  if (path.empty() || path.front() != '/' || path.find_first_of("?# \r\n\t") != std::string::npos) {
    throw settings.error("path", "must start with '/' and hold no query, spaces or line breaks");
  }
  if (settings.has("token")) {
    // The text is not repeated: it is a secret.
    if (settings.string("token").empty()) throw settings.error("token", "must not be empty");
    if (settings.string("token").find_first_of("\r\n") != std::string::npos) {
      throw settings.error("token", "must be one line");
    }
  }
  if (settings.size("max_body_bytes") < 1 || settings.size("max_body_bytes") > (1ull << 30)) {
    throw settings.error("max_body_bytes", "must be between 1 B and 1 GiB");
  }
  if (settings.size("max_decompressed_bytes") < 1 ||
      settings.size("max_decompressed_bytes") > (4ull << 30)) {
    throw settings.error("max_decompressed_bytes", "must be between 1 B and 4 GiB");
  }
  if (settings.integer("max_connections") < 1 || settings.integer("max_connections") > 1000000) {
    throw settings.error("max_connections", "must be between 1 and 1000000");
  }
  if (settings.duration("header_timeout").count() <= 0) {
    throw settings.error("header_timeout", "must be longer than 0");
  }
  if (settings.duration("idle_timeout").count() <= 0) {
    throw settings.error("idle_timeout", "must be longer than 0");
  }
  if (settings.given("tls")) validate_tls(settings.section("tls"));
}

std::unique_ptr<Input> create(const Settings& settings, InputContext context) {
  return std::make_unique<HttpInput>(settings, std::move(context));
}

}  // namespace

const InputPlugin kHttpInput{
    .type = "http",
    .description = "Receives records POSTed as JSON, a JSON array or NDJSON (gzip, zstd)",
    .settings = kSettings,
    .validate = validate,
    .create = create,
};

}  // namespace auditrelay
