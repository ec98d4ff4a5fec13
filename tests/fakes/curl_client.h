// A libcurl easy client for tests: one handle, so consecutive requests reuse the connection.
#pragma once

#include <curl/curl.h>

#include <string>
#include <utility>
#include <vector>

namespace auditrelay::fakes {

struct HttpResult {
  CURLcode code = CURLE_OK;  // transport outcome; status is 0 unless CURLE_OK
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(const std::string& name) const;  // case-insensitive, "" if absent
};

class CurlClient {
 public:
  // With `ca_file`, HTTPS servers are trusted only if that file (a test's self-signed
  // certificate) vouches for them.
  explicit CurlClient(std::string ca_file = "");
  ~CurlClient();
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  HttpResult request(const std::string& method, const std::string& url,
                     const std::string& body = "", const std::vector<std::string>& headers = {},
                     long timeout_ms = 10000);
  HttpResult get(const std::string& url) { return request("GET", url); }
  HttpResult post(const std::string& url, const std::string& body,
                  const std::vector<std::string>& headers = {}) {
    return request("POST", url, body, headers);
  }

  // Connections the last request opened: 0 when it reused the previous one.
  long new_connections() const { return new_connections_; }
  // The last transfer's error text (CURLOPT_ERRORBUFFER), for test failure messages.
  const std::string& error() const { return error_; }

 private:
  CURL* easy_;
  std::string ca_file_;
  long new_connections_ = 0;
  std::string error_;
};

// gzip-compresses `data` (zlib's gzip wrapper), for Content-Encoding: gzip bodies.
std::string gzip(const std::string& data);

}  // namespace auditrelay::fakes
