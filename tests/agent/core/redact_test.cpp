#include "agent/core/redact.h"

#include <doctest/doctest.h>

using auditrelay::may_hold_url_password;
using auditrelay::redact_url_passwords;

TEST_CASE("passwords in URLs are redacted wherever the URL stands in a text") {
  CHECK(redact_url_passwords("http://elastic:s3cret@es:9200/_bulk") ==
        "http://elastic:<redacted>@es:9200/_bulk");
  CHECK(redact_url_passwords("https://u:p@h") == "https://u:<redacted>@h");
  CHECK(redact_url_passwords("hosts 'http://a:b:c@h1' and https://x:y@h2?q=1") ==
        "hosts 'http://a:<redacted>@h1' and https://x:<redacted>@h2?q=1");
  CHECK(redact_url_passwords("http://p%40ss:w@rd@host/") == "http://p%40ss:<redacted>@host/");
}

TEST_CASE("text without a password in a URL is left alone") {
  for (const char* text : {"http://host:9200/path@x", "http://user@host/", "mail a@b.c", "no url",
                           "http://", "://@", "http://host/?a=b:c@d"}) {
    CHECK(redact_url_passwords(text) == text);
  }
  CHECK_FALSE(may_hold_url_password("http://host:9200/"));
  CHECK(may_hold_url_password("http://u:p@host/"));
}
