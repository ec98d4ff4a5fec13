#include "plugins/in_http/bearer_token.h"

#include <doctest/doctest.h>

using auditrelay::http_input::BearerToken;

TEST_CASE("a bearer token is accepted only whole and exact") {
  BearerToken token("s3cret-token");
  CHECK(token.accepts("Bearer s3cret-token"));
  CHECK(token.accepts("bearer s3cret-token"));  // the scheme is case-insensitive
  CHECK_FALSE(token.accepts(""));
  CHECK_FALSE(token.accepts("s3cret-token"));
  CHECK_FALSE(token.accepts("Basic s3cret-token"));
  CHECK_FALSE(token.accepts("Bearer s3cret-toke"));
  CHECK_FALSE(token.accepts("Bearer s3cret-token2"));
  CHECK_FALSE(token.accepts("Bearer S3CRET-TOKEN"));
  CHECK_FALSE(token.accepts("Bearer "));
}
