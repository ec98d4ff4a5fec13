// What the fakes' /_fake/faults parsers share: a seeded generator, so a test's fault pattern
// is the same on every run, and the readers of the value kinds every fake takes.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <unordered_set>

namespace auditrelay::fakes {

// splitmix64 (https://prng.di.unimi.it/splitmix64.c).
class Random {
 public:
  void seed(uint64_t seed) { state_ = seed; }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_ = 1;
};

// Each returns false, leaving `out` alone, when the value is not of its kind.

inline bool fault_count(const rapidjson::Value& v, uint64_t* out) {
  if (!v.IsUint64()) return false;
  *out = v.GetUint64();
  return true;
}

// A Retry-After to send as given: a number of seconds or an HTTP-date (RFC 9110 §10.2.3).
inline bool fault_retry_after(const rapidjson::Value& v, std::string* out) {
  if (v.IsString()) {
    out->assign(v.GetString(), v.GetStringLength());
  } else if (v.IsUint64()) {
    *out = std::to_string(v.GetUint64());
  } else {
    return false;
  }
  return true;
}

// A list of ids (strings).
inline bool fault_ids(const rapidjson::Value& v, std::unordered_set<std::string>* out) {
  if (!v.IsArray()) return false;
  std::unordered_set<std::string> ids;
  for (const auto& id : v.GetArray()) {
    if (!id.IsString()) return false;
    ids.emplace(id.GetString(), id.GetStringLength());
  }
  *out = std::move(ids);
  return true;
}

}  // namespace auditrelay::fakes
