// One HttpClient request as a curl easy handle: setting it up from an HttpRequest (headers,
// body, timeouts, TLS) and reading the HttpResponse out of it once curl is done. Internal to
// the HTTP client; curl_multi_loop drives the transfers.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

#include "agent/delivery/http_client.h"

namespace auditrelay::delivery {

struct EasyCleanup {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistCleanup {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;
using HeaderList = std::unique_ptr<curl_slist, SlistCleanup>;

// One request from send() to its callback.
struct Transfer {
  std::shared_ptr<const std::string> body;  // curl reads it in place (CURLOPT_POSTFIELDS)
  HeaderList headers;
  HeaderList connect_to;
  EasyHandle easy;  // declared after what it points to, so it is cleaned up first
  HttpClient::Callback done;
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};
};

// Sets `t.easy` up for `request` (t.body already set) with the client's `options`: the handle
// given (a finished transfer's, reset), else a new one. Returns an error message, or "" when
// the transfer is ready to start.
std::string prepare_transfer(Transfer& t, const HttpRequest& request,
                             const HttpClientOptions& options);

// Fills in the response once curl is done with the transfer.
void complete_transfer(Transfer& t, CURLcode result);

}  // namespace auditrelay::delivery
