// Test support: an HTTPS client that trusts one CA file (a test's self-signed certificate) and
// reuses its connection across requests: fakes::CurlClient given that file.
#pragma once

#include "tests/fakes/curl_client.h"

namespace auditrelay::test {

using HttpsClient = fakes::CurlClient;

}  // namespace auditrelay::test
