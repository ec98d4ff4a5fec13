#include "plugins/out_webhook/signature.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace auditrelay::webhook;

namespace {

constexpr const char* kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kSpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kSpecTimestamp = 1614265330;
constexpr const char* kSpecPayload = R"({"test": 2432232314})";
constexpr const char* kSpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

}  // namespace

TEST_CASE("the specification's test vector") {
  Signer signer({kSpecSecret});
  CHECK(signer.sign(kSpecId, kSpecTimestamp, kSpecPayload) == kSpecSignature);
}

TEST_CASE("the signature covers the id, the timestamp and every byte of the body") {
  Signer signer({kSpecSecret});
  CHECK(signer.sign("msg_other", kSpecTimestamp, kSpecPayload) != kSpecSignature);
  CHECK(signer.sign(kSpecId, kSpecTimestamp + 1, kSpecPayload) != kSpecSignature);
  CHECK(signer.sign(kSpecId, kSpecTimestamp, R"({"test":2432232314})") != kSpecSignature);
}

TEST_CASE("the keyed context is reused: the same signature every time, also from several threads") {
  const Signer signer({kSpecSecret});
  // A signature between two of the vector's must leave nothing behind.
  CHECK(signer.sign(kSpecId, kSpecTimestamp, kSpecPayload) == kSpecSignature);
  CHECK(signer.sign("msg_other", 1, std::string(5000, 'x')) != kSpecSignature);
  CHECK(signer.sign(kSpecId, kSpecTimestamp, kSpecPayload) == kSpecSignature);
  std::vector<std::string> seen(4);
  {
    std::vector<std::jthread> threads;
    for (std::string& result : seen) {
      threads.emplace_back([&signer, &result] {
        for (int i = 0; i < 200; ++i)
          result = signer.sign(kSpecId, kSpecTimestamp, kSpecPayload);
      });
    }
  }
  for (const std::string& result : seen)
    CHECK(result == kSpecSignature);
}

TEST_CASE("two secrets (a key rotation): one v1 entry each, space-separated, in order") {
  const std::string other = "whsec_" + base64_encode("another key of 24 bytes!");
  const std::string second = Signer({other}).sign(kSpecId, kSpecTimestamp, kSpecPayload);
  CHECK(second.rfind("v1,", 0) == 0);
  CHECK(second != kSpecSignature);
  CHECK(Signer({kSpecSecret, other}).sign(kSpecId, kSpecTimestamp, kSpecPayload) ==
        std::string(kSpecSignature) + " " + second);
}

TEST_CASE("base64: round trip at every padding length; strict decoding") {
  for (std::string data : {"", "a", "ab", "abc", "abcd", "\x00\xff\x10"}) {
    CAPTURE(data);
    CHECK(base64_decode(base64_encode(data)) == data);
  }
  CHECK(base64_encode("ab") == "YWI=");
  CHECK(base64_decode("YWI=") == std::string("ab"));  // padding is not decoded as zeros
  CHECK(base64_decode("YQ==") == std::string("a"));
  CHECK_FALSE(base64_decode("YWI"));    // not a multiple of 4
  CHECK_FALSE(base64_decode("Y=I="));   // padding in the middle
  CHECK_FALSE(base64_decode("Y==="));   // too much padding
  CHECK_FALSE(base64_decode("YW I="));  // not base64
  CHECK_FALSE(base64_decode(" YWI="));  // EVP_DecodeBlock would skip the blank
  CHECK_FALSE(base64_decode("YW-_"));   // the URL-safe alphabet is not the standard one
}

TEST_CASE("secret keys: whsec_ and base64 of a non-empty key") {
  CHECK(secret_key(kSpecSecret)->size() == 24);
  CHECK_FALSE(secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));  // no prefix
  CHECK_FALSE(secret_key("whsec_"));
  CHECK_FALSE(secret_key("whsec_not base64!"));
  CHECK_FALSE(secret_key("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  CHECK_THROWS_AS(Signer({"whsec_%%%%"}), std::invalid_argument);
}
