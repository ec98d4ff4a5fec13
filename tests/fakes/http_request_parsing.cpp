// HttpConnection's request side: http_parser callbacks that build FakeRequests from the
// bytes read, in arrival order.
#include <strings.h>

#include <algorithm>
#include <climits>

#include "tests/fakes/http_connection.h"

namespace auditrelay::fakes {
namespace {

// Bodies are reserved from Content-Length up to this, so a lying header cannot make the
// fake allocate gigabytes up front.
constexpr uint64_t kMaxReserve = 1ull << 30;

HttpConnection* from(http_parser* p) {
  return static_cast<HttpConnection*>(p->data);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

const http_parser_settings HttpConnection::kSettings = {
    .on_message_begin = &HttpConnection::on_message_begin,
    .on_url = &HttpConnection::on_url,
    .on_status = nullptr,
    .on_header_field = &HttpConnection::on_header_field,
    .on_header_value = &HttpConnection::on_header_value,
    .on_headers_complete = &HttpConnection::on_headers_complete,
    .on_body = &HttpConnection::on_body,
    .on_message_complete = &HttpConnection::on_message_complete,
    .on_chunk_header = nullptr,
    .on_chunk_complete = nullptr,
};

void HttpConnection::parse(const char* data, size_t length) {
  while (length > 0 && !discarding_) {
    size_t used = http_parser_execute(&parser_, &kSettings, data, length);
    auto error = HTTP_PARSER_ERRNO(&parser_);
    if (error == HPE_PAUSED) return;  // a request asked to close: ignore what follows
    if (error != HPE_OK) {
      FakeResponse bad{.status = 400};
      bad.headers.emplace_back("Content-Type", "text/plain");
      bad.body = std::string("Bad Request: ") + http_errno_description(error) + "\n";
      if (!mid_message_ || pending_.empty()) pending_.push_back(Pending{.seq = next_seq_++});
      Pending& slot = pending_.back();
      slot.keep_alive = false;
      slot.ready = true;
      slot.response = std::move(bad);
      mid_message_ = false;
      discarding_ = true;
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

int HttpConnection::on_message_begin(http_parser* p) {
  auto* c = from(p);
  c->current_ = FakeRequest{};
  c->current_.connection_id = c->id_;
  c->in_header_field_ = false;
  return 0;
}

int HttpConnection::on_url(http_parser* p, const char* at, size_t length) {
  from(p)->current_.url.append(at, length);
  return 0;
}

int HttpConnection::on_header_field(http_parser* p, const char* at, size_t length) {
  auto* c = from(p);
  if (!c->in_header_field_) c->current_.headers.emplace_back();
  c->in_header_field_ = true;
  c->current_.headers.back().first.append(at, length);
  return 0;
}

int HttpConnection::on_header_value(http_parser* p, const char* at, size_t length) {
  auto* c = from(p);
  c->in_header_field_ = false;
  if (!c->current_.headers.empty()) c->current_.headers.back().second.append(at, length);
  return 0;
}

int HttpConnection::on_headers_complete(http_parser* p) {
  auto* c = from(p);
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

int HttpConnection::on_body(http_parser* p, const char* at, size_t length) {
  from(p)->current_.body.append(at, length);
  return 0;
}

int HttpConnection::on_message_complete(http_parser* p) {
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

}  // namespace auditrelay::fakes
