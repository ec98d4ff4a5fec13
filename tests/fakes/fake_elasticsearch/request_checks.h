// What Elasticsearch checks on a request before any API sees it: credentials, the
// Content-Type of a body, and its Content-Encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tests/fakes/fake_elasticsearch/json_out.h"
#include "tests/fakes/fake_http_server.h"

namespace auditrelay::fakes::es {

// The credentials the fake accepts; any one of them lets a request in.
class Credentials {
 public:
  Credentials(std::string api_key, const std::string& user, const std::string& password,
              std::string bearer);
  bool required() const { return !api_key_.empty() || !basic_.empty() || !bearer_.empty(); }
  // nullopt if the request may go on, else the 401 answer.
  std::optional<FakeResponse> check(const http::Request& request, const FilterPath& filter) const;

 private:
  std::string api_key_;  // base64("id:key"), as sent
  std::string basic_;    // base64("user:password")
  std::string user_;
  std::string bearer_;
};

// nullopt if the Content-Type is one Elasticsearch takes for JSON/NDJSON, else the 406.
std::optional<FakeResponse> check_content_type(const http::Request& request);

// The body with its Content-Encoding (gzip, deflate) undone. `bytes` views the request
// body itself when it was not encoded (nothing copied), else `storage`; `error` says why a
// body could not be decoded (Elasticsearch then answers 400).
struct DecodedBody {
  std::string_view bytes;
  bool compressed = false;
  std::string error;
};
DecodedBody decode_body(const http::Request& request, std::string& storage);

}  // namespace auditrelay::fakes::es
