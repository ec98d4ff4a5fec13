// Test support: a libcurl easy client for HTTPS that trusts one CA file (a test's
// self-signed certificate) and reuses its connection across requests, like fakes::CurlClient.
#pragma once

#include <curl/curl.h>

#include <string>
#include <vector>

#include "tests/fakes/curl_client.h"

namespace auditrelay::test {

class HttpsClient {
 public:
  explicit HttpsClient(std::string ca_file);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  fakes::HttpResult request(const std::string& method, const std::string& url,
                            const std::string& body = "",
                            const std::vector<std::string>& headers = {}, long timeout_ms = 10000);
  fakes::HttpResult get(const std::string& url) { return request("GET", url); }
  fakes::HttpResult post(const std::string& url, const std::string& body,
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

}  // namespace auditrelay::test
