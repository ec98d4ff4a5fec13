// Connection's request side: http_parser callbacks that build Requests from the bytes read,
// in arrival order, and stop at the size limits of Server::Limits.
#include <strings.h>

#include <algorithm>
#include <climits>

#include "agent/http/connection.h"

namespace auditrelay::http {
namespace {

// Bodies are reserved from Content-Length up to this, so a lying header cannot make the
// server allocate gigabytes up front.
constexpr uint64_t kMaxReserve = 1ull << 30;

Connection* from(http_parser* p) {
  return static_cast<Connection*>(p->data);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

const http_parser_settings Connection::kSettings = {
    .on_message_begin = &Connection::on_message_begin,
    .on_url = &Connection::on_url,
    .on_status = nullptr,
    .on_header_field = &Connection::on_header_field,
    .on_header_value = &Connection::on_header_value,
    .on_headers_complete = &Connection::on_headers_complete,
    .on_body = &Connection::on_body,
    .on_message_complete = &Connection::on_message_complete,
    .on_chunk_header = nullptr,
    .on_chunk_complete = nullptr,
};

void Connection::parse(const char* data, size_t length) {
  while (length > 0 && !discarding_) {
    size_t used = http_parser_execute(&parser_, &kSettings, data, length);
    auto error = HTTP_PARSER_ERRNO(&parser_);
    if (error == HPE_PAUSED) return;  // a request asked to close: ignore what follows
    if (error != HPE_OK) {
      if (refusal_ != 0) {
        refuse(refusal_, refusal_ == 413   ? "the body is larger than this server accepts"
                         : refusal_ == 431 ? "the request headers are too large"
                                           : "whitespace in a header field name");
      } else if (error == HPE_HEADER_OVERFLOW) {
        refuse(431, "the request headers are too large");
      } else {
        refuse(400, http_errno_description(error));
      }
      return;
    }
    if (parser_.upgrade) {
      // We never switch protocols: the client goes on with HTTP/1.1 on this connection,
      // which a fresh parser reads.
      http_parser_init(&parser_, HTTP_REQUEST);
      parser_.data = this;
    } else if (used != length) {
      return;  // cannot happen without an error; be safe rather than loop
    }
    data += used;
    length -= used;
  }
}

int Connection::on_message_begin(http_parser* p) {
  auto* c = from(p);
  c->current_ = Request{};
  c->current_.connection_id = c->id_;
  c->current_.peer = c->peer_;
  c->in_header_field_ = false;
  c->header_bytes_ = 0;
  c->reading_headers_ = true;
  // The first request's headers have been due since the connection opened.
  if (c->deadline_ != Deadline::kHeaders) c->arm(Deadline::kHeaders, c->limits_.header_timeout_ms);
  return 0;
}

bool Connection::count_header_bytes(size_t length) {
  header_bytes_ += length;
  if (limits_.max_header_bytes == 0 || header_bytes_ <= limits_.max_header_bytes) return true;
  refusal_ = 431;
  return false;
}

int Connection::on_url(http_parser* p, const char* at, size_t length) {
  auto* c = from(p);
  if (!c->count_header_bytes(length)) return -1;
  c->current_.url.append(at, length);
  return 0;
}

int Connection::on_header_field(http_parser* p, const char* at, size_t length) {
  auto* c = from(p);
  // Each field counts ": " and CRLF too, so that empty fields are not free.
  if (!c->count_header_bytes(length + (c->in_header_field_ ? 0 : 4))) return -1;
  // http_parser takes "Name : value" and "Two words: value"; RFC 9112 §5.1 wants a 400, since
  // a proxy in front may read such a field otherwise (request smuggling).
  for (size_t i = 0; i < length; ++i) {
    if (at[i] == ' ' || at[i] == '\t') {
      c->refusal_ = 400;
      return -1;
    }
  }
  if (!c->in_header_field_) c->current_.headers.emplace_back();
  c->in_header_field_ = true;
  c->current_.headers.back().first.append(at, length);
  return 0;
}

int Connection::on_header_value(http_parser* p, const char* at, size_t length) {
  auto* c = from(p);
  if (!c->count_header_bytes(length)) return -1;
  c->in_header_field_ = false;
  if (!c->current_.headers.empty()) c->current_.headers.back().second.append(at, length);
  return 0;
}

int Connection::on_headers_complete(http_parser* p) {
  auto* c = from(p);
  c->reading_headers_ = false;
  c->arm(Deadline::kNone, 0);
  uint64_t max_body = c->limits_.max_body_bytes;
  if (max_body > 0 && p->content_length != ULLONG_MAX && p->content_length > max_body) {
    c->refusal_ = 413;  // answered before any of the body is read
    return -1;
  }
  c->current_.method = http_method_str(static_cast<http_method>(p->method));
  Pending slot{.seq = c->next_seq_++};
  slot.keep_alive = http_should_keep_alive(p) != 0;
  slot.head = p->method == HTTP_HEAD;
  slot.expect_continue = (p->http_major > 1 || (p->http_major == 1 && p->http_minor >= 1)) &&
                         iequals(c->current_.header("Expect"), "100-continue");
  c->pending_.push_back(std::move(slot));
  c->mid_message_ = true;
  if (p->content_length > 0 && p->content_length != ULLONG_MAX)
    c->current_.body.reserve(std::min<uint64_t>(p->content_length, kMaxReserve));
  return 0;
}

int Connection::on_body(http_parser* p, const char* at, size_t length) {
  auto* c = from(p);
  uint64_t max_body = c->limits_.max_body_bytes;
  if (max_body > 0 && c->current_.body.size() + length > max_body) {
    c->refusal_ = 413;  // a chunked body grew past the limit
    return -1;
  }
  c->current_.body.append(at, length);
  return 0;
}

int Connection::on_message_complete(http_parser* p) {
  auto* c = from(p);
  c->mid_message_ = false;
  c->parsed_.push_back(Parsed{c->pending_.back().seq, std::move(c->current_)});
  if (!c->pending_.back().keep_alive) {
    // The client said this is its last request: stop parsing what follows.
    c->discarding_ = true;
    http_parser_pause(p, 1);
  }
  return 0;
}

}  // namespace auditrelay::http
