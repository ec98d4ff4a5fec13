#include "tests/fakes/raw_client.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace auditrelay::fakes {
namespace {

// Collects the responses http_parser finds in the received bytes.
struct ResponseCollector {
  std::vector<RawResponse> done;
  RawResponse current;
  bool in_field = false;
};

ResponseCollector* collector(http_parser* p) {
  return static_cast<ResponseCollector*>(p->data);
}

http_parser_settings response_settings() {
  http_parser_settings s{};
  s.on_message_begin = [](http_parser* p) {
    collector(p)->current = RawResponse{};
    collector(p)->in_field = false;
    return 0;
  };
  s.on_header_field = [](http_parser* p, const char* at, size_t n) {
    auto* c = collector(p);
    if (!c->in_field) c->current.headers.emplace_back();
    c->in_field = true;
    c->current.headers.back().first.append(at, n);
    return 0;
  };
  s.on_header_value = [](http_parser* p, const char* at, size_t n) {
    auto* c = collector(p);
    c->in_field = false;
    c->current.headers.back().second.append(at, n);
    return 0;
  };
  s.on_headers_complete = [](http_parser* p) {
    collector(p)->current.status = static_cast<int>(p->status_code);
    return 0;
  };
  s.on_body = [](http_parser* p, const char* at, size_t n) {
    collector(p)->current.body.append(at, n);
    return 0;
  };
  s.on_message_complete = [](http_parser* p) {
    collector(p)->done.push_back(std::move(collector(p)->current));
    http_parser_pause(p, 1);  // one answer per http_parser_execute(), to count bytes used
    return 0;
  };
  return s;
}

}  // namespace

std::string RawResponse::header(const std::string& name) const {
  for (const auto& [n, v] : headers)
    if (strcasecmp(n.c_str(), name.c_str()) == 0) return v;
  return "";
}

RawClient::RawClient(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("RawClient: cannot connect to port " + std::to_string(port));
  }
}

RawClient::~RawClient() {
  ::close(fd_);
}

void RawClient::send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("RawClient: send failed");
    sent += static_cast<size_t>(n);
  }
}

bool RawClient::fill(std::chrono::steady_clock::time_point deadline) {
  if (eof_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buffer[65536];
  ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  unparsed_.append(buffer, static_cast<size_t>(n));
  return true;
}

std::vector<RawResponse> RawClient::read(size_t count, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  static const http_parser_settings settings = response_settings();
  ResponseCollector found;
  for (;;) {
    // Reparse from the start each time: simple, and test responses are small.
    found = ResponseCollector{};
    http_parser parser;
    http_parser_init(&parser, HTTP_RESPONSE);
    parser.data = &found;
    size_t used = 0;
    while (used < unparsed_.size() && found.done.size() < count) {
      size_t n =
          http_parser_execute(&parser, &settings, unparsed_.data() + used, unparsed_.size() - used);
      used += n;
      if (HTTP_PARSER_ERRNO(&parser) == HPE_PAUSED) {
        http_parser_pause(&parser, 0);
      } else {
        break;  // all consumed mid-message, or garbage
      }
    }
    if (found.done.size() >= count) {
      unparsed_.erase(0, used);
      return std::move(found.done);
    }
    if (!fill(deadline)) return std::move(found.done);
  }
}

bool RawClient::closed_by_peer(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    if (!fill(deadline) && !eof_) return false;
  }
  return true;
}

}  // namespace auditrelay::fakes
