// Fuzzes the HTTP input's request handling: the input is what a client sends on one
// connection (one or more HTTP/1.1 requests, pipelined, possibly cut anywhere), fed to the
// server's Connection (http_parser callbacks, limits, pipelining, 100-continue, answers in
// order, closing) as reads of a socketpair, with no listener. Each request is handled as
// in_http handles it: path, method, bearer token, Content-Type and Content-Encoding, then the
// body decoded within its cap, split into records and normalized, as submit() does.
//
// Input: byte 0 flags (bit 0: the client half-closes after sending; bit 1: answers are given
// after everything is read, last request first), byte 1 the size of each read (0: one read),
// then the bytes sent.
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/log.h"
#include "agent/core/normalize_record.h"
#include "agent/http/connection.h"
#include "agent/http/server.h"
#include "agent/normalize/normalizer.h"
#include "plugins/in_http/bearer_token.h"
#include "plugins/in_http/request_body.h"

namespace auditrelay::http {

// Does for a Connection what start() does for an accepted socket (friend of Connection).
class ConnectionTestPeer {
 public:
  static bool open(Connection& c, uv_loop_t* loop, int fd) {
    c.self_ = c.shared_from_this();
    uv_tcp_init(loop, &c.tcp_);
    uv_timer_init(loop, &c.timer_);
    c.open_handles_ = 2;
    if (uv_tcp_open(&c.tcp_, fd) != 0) {
      c.close_now();
      return false;
    }
    c.peer_ = "192.0.2.1";
    c.arm(Connection::Deadline::kHeaders, c.limits_.header_timeout_ms);
    return true;
  }
  static void read(Connection& c, const char* data, size_t length) {
    c.on_read(static_cast<ssize_t>(length), data);
  }
  static void peer_eof(Connection& c) { c.on_read(UV_EOF, nullptr); }
};

}  // namespace auditrelay::http

namespace {

using namespace auditrelay;

constexpr const char* kPath = "/v1/audit";
constexpr const char* kTokenPath = "/v1/secure";  // the same, with a bearer token required
// Small limits, so that short inputs reach the 413 and 431 answers.
constexpr uint64_t kMaxBodyBytes = 64 * 1024;
constexpr uint64_t kMaxDecompressedBytes = 256 * 1024;

http::Response answer(int status) {
  http::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = R"({"status":)" + std::to_string(status) + "}";
  return r;
}

// The records of an array are its elements' exact bytes: each must be one JSON value alone.
void check_array_element(std::string_view element) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(element.data(), element.size());
  if (doc.HasParseError()) std::abort();
}

// What in_http's handle() and submit() do with a request, minus the buffer.
int handle(const http::Request& request) {
  static const http_input::BearerToken token("fuzz-token");
  static Normalizer normalizer(NormalizeOptions{});
  const std::string path = request.path();
  (void)request.query_param("pipeline");
  if (path != kPath && path != kTokenPath) return 404;
  if (request.method != "POST") return 405;
  if (path == kTokenPath && !token.accepts(request.header("Authorization"))) return 401;
  const auto format = http_input::body_format(request.header("Content-Type"));
  if (!format) return 415;
  const auto encoding = http_input::body_encoding(request.header("Content-Encoding"));
  if (!encoding) return 415;
  http_input::DecodedBody decoded =
      http_input::decode_body(request.body, *encoding, kMaxDecompressedBytes);
  if (decoded.status == http_input::DecodedBody::Status::kTooLarge) return 413;
  if (decoded.status != http_input::DecodedBody::Status::kOk) return 400;
  if (decoded.bytes.size() > kMaxDecompressedBytes) std::abort();  // the cap did not hold
  const http_input::SplitBody split = http_input::split_body(decoded.bytes, *format);
  if (!split.error.empty() || split.records.empty()) return 400;

  RawBatch batch;
  const uint32_t source = batch.add_source(
      {"http:" + request.peer, http_input::body_id_key(decoded.bytes, split.shape)});
  batch.data() = std::move(decoded.bytes);
  uint64_t position = 0;
  for (const http_input::RecordSpan& span : split.records) {
    if (span.offset > batch.data().size() || span.size > batch.data().size() - span.offset ||
        span.size == 0) {
      std::abort();  // a record outside the body
    }
    if (split.shape == 'a') check_array_element({batch.data().data() + span.offset, span.size});
    batch.add_record(source, position++, span.offset, span.size, span.size);
  }
  DocumentBatch documents;
  size_t rejected = 0;
  for (const RawRecord& record : batch.records()) {
    if (normalize_record(normalizer, batch, record, Schema::kAuto, documents)) ++rejected;
  }
  return rejected < batch.size() ? 200 : 400;
}

struct Harness {
  uv_loop_t loop{};
  std::vector<std::pair<int, http::Server::Respond>> deferred;
  bool defer = false;
  std::unique_ptr<http::Server> server;

  Harness() {
    uv_loop_init(&loop);
    http::Server::Limits limits;
    limits.max_header_bytes = 4096;
    limits.max_body_bytes = kMaxBodyBytes;
    server = std::make_unique<http::Server>(
        &loop,
        [this](const http::Request& request, http::Server::Respond respond) {
          int status = 0;
          // Connection turns a handler's exception into a 500, which would hide a failure
          // of the body handling: in_http runs it on a worker thread and answers 500 too.
          try {
            status = handle(request);
          } catch (...) {
            std::abort();
          }
          if (defer) {
            deferred.emplace_back(status, std::move(respond));
          } else {
            respond(answer(status));
          }
        },
        limits);
  }
};

// Reads and drops what the server wrote, so that its writes complete.
void drain(int fd) {
  char buf[16384];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

void run_until_quiet(uv_loop_t* loop, int client_fd) {
  for (int i = 0; i < 8; ++i) {
    drain(client_fd);
    if (uv_run(loop, UV_RUN_NOWAIT) == 0) break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  configure_logging(LogLevel::kError, LogFormat::kText);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kHeaderBytes = 2;
  if (size < kHeaderBytes) return 0;
  static Harness h;
  static uint64_t next_id = 0;
  const uint8_t flags = data[0];
  const size_t read_size = data[1] == 0 ? size : data[1];
  const char* bytes = reinterpret_cast<const char*>(data) + kHeaderBytes;
  size -= kHeaderBytes;

  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    std::abort();
  }
  h.defer = (flags & 0x2) != 0;
  h.deferred.clear();
  auto connection = std::make_shared<http::Connection>(h.server.get(), ++next_id);
  if (!http::ConnectionTestPeer::open(*connection, &h.loop, fds[0])) {
    ::close(fds[0]);  // libuv did not take it
  } else {
    for (size_t at = 0; at < size; at += read_size) {
      http::ConnectionTestPeer::read(*connection, bytes + at, std::min(read_size, size - at));
      run_until_quiet(&h.loop, fds[1]);
    }
    if ((flags & 0x1) != 0) http::ConnectionTestPeer::peer_eof(*connection);
    // Answers given late and out of order still go out in request order.
    for (auto it = h.deferred.rbegin(); it != h.deferred.rend(); ++it)
      it->second(answer(it->first));
    h.deferred.clear();
    run_until_quiet(&h.loop, fds[1]);
    connection->close_now();
  }
  connection.reset();  // the connection lives on until libuv closed its handles
  uv_run(&h.loop, UV_RUN_DEFAULT);
  ::close(fds[1]);
  return 0;
}
