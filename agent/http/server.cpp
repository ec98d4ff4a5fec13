#include "agent/http/server.h"

#include <strings.h>

#include <csignal>
#include <stdexcept>

#include "agent/http/connection.h"

namespace auditrelay::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Query values may arrive percent-encoded ("items.*.status%2Cerrors"), as clients escape
// the comma of filter_path differently.
std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

}  // namespace

std::string Request::path() const {
  return url.substr(0, url.find('?'));
}

std::string Request::query_param(std::string_view name) const {
  auto q = url.find('?');
  if (q == std::string::npos) return "";
  std::string_view query(url);
  query.remove_prefix(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == name)
      return eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

std::string Request::header(std::string_view name) const {
  for (const auto& [n, value] : headers)
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return value;
  return "";
}

Server::Server(uv_loop_t* loop, Handler handler) : Server(loop, std::move(handler), Limits{}) {}

Server::Server(uv_loop_t* loop, Handler handler, Limits limits)
    : loop_(loop), handler_(std::move(handler)), limits_(limits) {}

Server::~Server() {
  stop_listening();
}

int Server::listen(const std::string& host, int port) {
  // libuv writes with write(2): a client that went away must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  if (listener_ != nullptr) throw std::runtime_error("http::Server: already listening");
  sockaddr_storage address{};
  int rc = host.find(':') != std::string::npos
               ? uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&address))
               : uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&address));
  if (rc != 0) throw std::runtime_error("http::Server: bad address " + host);
  auto* tcp = new uv_tcp_t{};
  uv_tcp_init(loop_, tcp);
  tcp->data = this;
  auto fail = [&](const char* what, int error) {
    tcp->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(tcp),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    throw std::runtime_error(std::string("http::Server: ") + what + " " + host + ":" +
                             std::to_string(port) + ": " + uv_strerror(error));
  };
  // libuv sets SO_REUSEADDR, so the same port can be bound again right after
  // stop_listening() even with connections in TIME_WAIT.
  rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc != 0) fail("bind", rc);
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp), 1024, &Server::on_connection);
  if (rc != 0) fail("listen", rc);
  sockaddr_storage bound{};
  int length = sizeof(bound);
  rc = uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &length);
  if (rc != 0) fail("getsockname", rc);
  listener_ = tcp;
  return bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                     : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void Server::stop_listening() {
  close_listener();
  close_connections();
}

void Server::close_listener() {
  if (listener_ != nullptr) {
    listener_->data = nullptr;
    // uv_close() closes the socket at once, so the port is free before the callback runs.
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    listener_ = nullptr;
  }
}

void Server::close_connections() {
  auto connections = std::move(connections_);
  connections_.clear();
  for (Connection* c : connections)
    c->detach_and_close();
}

void Server::on_connection(uv_stream_t* listener, int status) {
  auto* server = static_cast<Server*>(listener->data);
  if (server == nullptr || status < 0) return;
  uint64_t max = server->limits_.max_connections;
  if (max > 0 && server->connections_.size() >= max) {
    // Accepted only to be closed: libuv stops watching the listener while a connection waits
    // to be accepted.
    auto* refused = new uv_tcp_t{};
    uv_tcp_init(server->loop_, refused);
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(refused)) == 0)
      server->connections_refused_++;
    uv_close(reinterpret_cast<uv_handle_t*>(refused),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    return;
  }
  auto connection = std::make_shared<Connection>(server, ++server->next_connection_id_);
  uv_tcp_init(server->loop_, connection->tcp());
  server->connections_.insert(connection.get());
  server->connections_accepted_++;
  connection->start(listener);  // owns itself from here
}

}  // namespace auditrelay::http
