// A blocking socket client for tests that must control the bytes on the wire (pipelining,
// malformed requests, half-written bodies); answers are read with http_parser.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace auditrelay::fakes {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(const std::string& name) const;  // case-insensitive
};

class RawClient {
 public:
  explicit RawClient(int port);  // connects to 127.0.0.1:port; throws on failure
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(const std::string& bytes);
  // Reads until `count` complete responses arrived (1xx interim answers included), the
  // peer closed, or `timeout` passed.
  std::vector<RawResponse> read(size_t count,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Whether the server closed the connection (EOF or reset) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  // false on EOF or timeout

  int fd_ = -1;
  std::string unparsed_;
  bool eof_ = false;
};

}  // namespace auditrelay::fakes
