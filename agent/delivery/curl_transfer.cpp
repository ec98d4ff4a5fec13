#include "agent/delivery/curl_transfer.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <exception>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace auditrelay::delivery {
namespace {

struct UrlCleanup {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlCleanup>;

bool append(HeaderList& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (head == nullptr) return false;
  (void)list.release();  // `head` is the same list, one entry longer (or a new one)
  list.reset(head);
  return true;
}

// The value of a "Name: value" header line if its name is `name` (field names are
// case-insensitive, https://www.rfc-editor.org/rfc/rfc9110#name-field-names).
std::optional<std::string_view> header_value(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return std::nullopt;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  for (size_t i = 0; i < name.size(); ++i)
    if (lower(line[i]) != lower(name[i])) return std::nullopt;
  std::string_view value = line.substr(name.size() + 1);
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!value.empty() && blank(value.front()))
    value.remove_prefix(1);
  while (!value.empty() && blank(value.back()))
    value.remove_suffix(1);
  return value;
}

bool has_header(const std::vector<std::string>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const std::string& h) { return header_value(h, name).has_value(); });
}

// TLS `server_name`: the URL's host is replaced by server_name, so that curl sends it in SNI
// and verifies the certificate against it, and CURLOPT_CONNECT_TO sends the connection to the
// URL's real host and port. CONNECT_TO rather than CURLOPT_RESOLVE because the real host may
// itself be a DNS name, which RESOLVE (a fixed address) cannot express. The Host header keeps
// the URL's authority, as with SNI overrides elsewhere (Go's tls.Config.ServerName, Vector).
struct Retarget {
  std::string url;
  std::string connect_to;   // "server_name:port:host:port"
  std::string host_header;  // "Host: host[:port]"
};

std::optional<Retarget> retarget(const std::string& url, const std::string& server_name,
                                 std::string& error) {
  UrlHandle u(curl_url());
  if (!u) {
    error = "out of memory";
    return std::nullopt;
  }
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK) {
    error = std::string("invalid URL: ") + curl_url_strerror(rc);
    return std::nullopt;
  }
  auto part = [&](CURLUPart which, unsigned flags) -> std::optional<std::string> {
    char* text = nullptr;
    if (curl_url_get(u.get(), which, &text, flags) != CURLUE_OK) return std::nullopt;
    std::string copy(text);
    curl_free(text);
    return copy;
  };
  auto scheme = part(CURLUPART_SCHEME, 0);
  auto host = part(CURLUPART_HOST, 0);
  auto port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  auto explicit_port = part(CURLUPART_PORT, 0);
  if (!scheme || !host || !port) {
    error = "invalid URL: no host";
    return std::nullopt;
  }
  // server_name is a TLS setting: plain http has no SNI and no certificate.
  if (*scheme != "https" || *host == server_name) return Retarget{url, "", ""};
  if (curl_url_set(u.get(), CURLUPART_HOST, server_name.c_str(), 0) != CURLUE_OK) {
    error = "invalid tls.server_name";
    return std::nullopt;
  }
  auto rewritten = part(CURLUPART_URL, 0);
  if (!rewritten) {
    error = "invalid tls.server_name";
    return std::nullopt;
  }
  return Retarget{*rewritten, server_name + ":" + *port + ":" + *host + ":" + *port,
                  "Host: " + *host + (explicit_port ? ":" + *explicit_port : "")};
}

// curl calls these from C: an exception must not unwind through it, so running out of
// memory fails the transfer (a short count is CURLE_WRITE_ERROR) instead.
size_t on_body(char* data, size_t size, size_t count, void* transfer) noexcept {
  try {
    static_cast<Transfer*>(transfer)->response.body.append(data, size * count);
  } catch (const std::exception&) {
    return 0;
  }
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* transfer) noexcept {
  HttpResponse& r = static_cast<Transfer*>(transfer)->response;
  std::string_view line(data, size * count);
  try {
    if (line.starts_with("HTTP/")) {
      // A status line starts a response: only the final one's headers count, not those of
      // an interim "100 Continue".
      r.retry_after.clear();
      r.content_type.clear();
      r.location.clear();
    } else if (auto value = header_value(line, "Retry-After")) {
      r.retry_after = *value;
    } else if (auto type = header_value(line, "Content-Type")) {
      r.content_type = *type;
    } else if (auto location = header_value(line, "Location")) {
      r.location = *location;
    }
  } catch (const std::exception&) {
    return 0;
  }
  return size * count;
}

constexpr long kUploadBufferBytes = 256L << 10;  // curl allows 16 KiB to 2 MiB

}  // namespace

std::string prepare_transfer(Transfer& t, const HttpRequest& request,
                             const HttpClientOptions& options) {
  if (!t.easy) t.easy.reset(curl_easy_init());
  if (!t.easy) return "out of memory";
  const TlsSettings& tls = options.tls;
  std::string url = request.url;
  if (!tls.server_name.empty()) {
    std::string error;
    auto target = retarget(request.url, tls.server_name, error);
    if (!target) return error;
    url = std::move(target->url);
    if (!target->connect_to.empty() && !append(t.connect_to, target->connect_to))
      return "out of memory";
    if (!target->host_header.empty() && !has_header(request.headers, "Host") &&
        !append(t.headers, target->host_header))
      return "out of memory";
  }

  // The body, sent from the caller's buffer without a copy. POST and PUT without one still
  // send "Content-Length: 0" (some servers answer 411 otherwise); GET, HEAD and DELETE don't.
  const std::string& method = request.method;
  const char* body = t.body ? t.body->data() : nullptr;
  if (body == nullptr && (method == "POST" || method == "PUT" || method == "PATCH")) body = "";
  curl_off_t body_size = t.body ? static_cast<curl_off_t>(t.body->size()) : 0;

  for (const std::string& h : request.headers) {
    // curl sends header lines as given: a line break would smuggle in another header (or
    // request). The message names no value, which may be a credential.
    if (h.find_first_of("\r\n") != std::string::npos) return "a header contains a line break";
    if (!append(t.headers, h)) return "out of memory";
  }
  // curl would wait for "100 Continue" before a large body: a round trip for nothing, and
  // a second's stall with servers that never send it.
  if (!append(t.headers, "Expect:")) return "out of memory";
  // CURLOPT_POSTFIELDS implies a form Content-Type; a body declared without one has none.
  if (body != nullptr && !has_header(request.headers, "Content-Type") &&
      !append(t.headers, "Content-Type:"))
    return "out of memory";

  CURL* e = t.easy.get();
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value);
  };
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PRIVATE, static_cast<void*>(&t));
  set(CURLOPT_ERRORBUFFER, t.error);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  set(CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: this is a multi-threaded process
  // Don't wait on a hung DNS resolver thread when an aborted transfer is cleaned up.
  set(CURLOPT_QUICK_EXIT, 1L);
  set(CURLOPT_FOLLOWLOCATION, 0L);  // a redirect is the output's verdict to make
  // Probes idle pooled connections, so a peer or middlebox that vanished is noticed.
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_TCP_KEEPIDLE, 60L);
  set(CURLOPT_TCP_KEEPINTVL, 15L);
  uint64_t timeout_ms = request.timeout_ms != 0 ? request.timeout_ms : options.request_timeout_ms;
  set(CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::min<uint64_t>(options.connect_timeout_ms, LONG_MAX)));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(std::min<uint64_t>(timeout_ms, LONG_MAX)));
  set(CURLOPT_ACCEPT_ENCODING, "");  // offer every encoding curl can decode, and decode it
  set(CURLOPT_WRITEFUNCTION, &on_body);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
  set(CURLOPT_HEADERFUNCTION, &on_header);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
  set(CURLOPT_HTTPHEADER, t.headers.get());
  if (t.connect_to) set(CURLOPT_CONNECT_TO, t.connect_to.get());

  if (body != nullptr) {
    // curl sends a body above 64 KiB through its upload buffer, one buffer per send() and
    // a return to the loop in between: at the default 64 KiB a 550 KB bulk request took 9
    // send() calls and as many wake-ups, which cost splunk_hec about a tenth of its CPU. With
    // 256 KiB it takes 3. Larger buffers hold the loop thread longer in one send() (with 1 MiB
    // the HTTP input's p99 answer time rose by 8-12 ms in the benchmark) for no further gain.
    // curl allocates the buffer only for such bodies, and keeps it with the reused handle.
    set(CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferBytes);
    set(CURLOPT_POSTFIELDSIZE_LARGE, body_size);
    set(CURLOPT_POSTFIELDS, body);
    if (method != "POST") set(CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method == "GET") {
    set(CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);  // a custom HEAD would wait for a body that never comes
  } else {
    set(CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  set(CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
  if (!tls.ca_file.empty()) {
    set(CURLOPT_CAINFO, tls.ca_file.c_str());
    // Instead of the system's CAs, not besides them: the default CA directory goes too.
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
  }
  if (!tls.cert_file.empty()) set(CURLOPT_SSLCERT, tls.cert_file.c_str());
  if (!tls.key_file.empty()) set(CURLOPT_SSLKEY, tls.key_file.c_str());
  return rc == CURLE_OK ? "" : curl_easy_strerror(rc);
}

void complete_transfer(Transfer& t, CURLcode result) {
  HttpResponse& r = t.response;
  double seconds = 0;
  curl_easy_getinfo(t.easy.get(), CURLINFO_TOTAL_TIME, &seconds);
  r.seconds = seconds;
  if (result == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &status);
    r.status = status;
    return;
  }
  // No (complete) response: what arrived of one is not to be trusted.
  r.status = 0;
  r.body.clear();
  r.retry_after.clear();
  r.content_type.clear();
  r.location.clear();
  r.error = curl_easy_strerror(result);
  if (t.error[0] != '\0') r.error += std::string(": ") + t.error;
}

}  // namespace auditrelay::delivery
