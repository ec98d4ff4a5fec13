#include "tests/fakes/curl_client.h"

#include <strings.h>
#include <zlib.h>

#include <stdexcept>
#include <utility>

namespace auditrelay::fakes {
namespace {

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t append_header(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  if (line.rfind("HTTP/", 0) == 0) headers->clear();  // a new answer (after 100 Continue)
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    auto start = line.find_first_not_of(' ', colon + 1);
    auto end = line.find_last_not_of("\r\n");
    std::string value = start == std::string::npos || end < start
                            ? std::string()
                            : line.substr(start, end - start + 1);
    headers->emplace_back(line.substr(0, colon), value);
  }
  return size * count;
}

}  // namespace

std::string HttpResult::header(const std::string& name) const {
  for (const auto& [n, v] : headers)
    if (strcasecmp(n.c_str(), name.c_str()) == 0) return v;
  return "";
}

CurlClient::CurlClient(std::string ca_file)
    : easy_(curl_easy_init()), ca_file_(std::move(ca_file)) {
  if (easy_ == nullptr) throw std::runtime_error("curl_easy_init failed");
}

CurlClient::~CurlClient() {
  curl_easy_cleanup(easy_);
}

HttpResult CurlClient::request(const std::string& method, const std::string& url,
                               const std::string& body, const std::vector<std::string>& headers,
                               long timeout_ms) {
  HttpResult result;
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_reset(easy_);  // keeps the connection cache
  curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error);
  if (!ca_file_.empty()) {
    curl_easy_setopt(easy_, CURLOPT_CAINFO, ca_file_.c_str());
    curl_easy_setopt(easy_, CURLOPT_CAPATH, nullptr);  // only the test's CA
  }
  if (method == "HEAD") curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_slist* list = nullptr;
  for (const auto& h : headers)
    list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &append_header);
  curl_easy_setopt(easy_, CURLOPT_HEADERDATA, &result.headers);
  result.code = curl_easy_perform(easy_);
  if (result.code == CURLE_OK) curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &result.status);
  new_connections_ = 0;
  curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &new_connections_);
  error_ = error[0] != '\0' ? error : curl_easy_strerror(result.code);
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, nullptr);  // `error` goes out of scope
  curl_slist_free_all(list);
  return result;
}

std::string gzip(const std::string& data) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer rather than the zlib ones.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

}  // namespace auditrelay::fakes
