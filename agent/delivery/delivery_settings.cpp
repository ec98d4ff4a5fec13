#include "agent/delivery/delivery_settings.h"

#include <charconv>

namespace auditrelay::delivery {
namespace {

// "503" or "5xx"; false for anything else.
bool add_status(std::string_view item, std::bitset<600>& set) {
  if (item.size() != 3 || item[0] < '1' || item[0] > '5') return false;
  if (item.substr(1) == "xx") {
    size_t base = static_cast<size_t>(item[0] - '0') * 100;
    for (size_t s = base; s < base + 100; ++s)
      set.set(s);
    return true;
  }
  int status = 0;
  auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), status);
  if (ec != std::errc() || end != item.data() + item.size()) return false;
  set.set(static_cast<size_t>(status));
  return true;
}

}  // namespace

RetryableStatuses::RetryableStatuses() {
  for (int s = 100; s < 600; ++s) {
    if (retryable_by_default(s)) set_.set(static_cast<size_t>(s));
  }
}

bool RetryableStatuses::parse(const std::vector<std::string>& items, std::string& bad) {
  std::bitset<600> set;
  for (const std::string& item : items) {
    if (!add_status(item, set)) {
      bad = item;
      return false;
    }
  }
  set_ = set;
  return true;
}

void validate_delivery_settings(const Settings& settings) {
  const Settings& batch = settings.section("batch");
  if (batch.integer("max_records") < 1 || batch.integer("max_records") > 100'000) {
    throw batch.error("max_records", "must be between 1 and 100000");
  }
  if (batch.size("max_bytes") < 1024) throw batch.error("max_bytes", "must be at least 1KiB");
  if (settings.integer("concurrency") < 1 || settings.integer("concurrency") > 64) {
    throw settings.error("concurrency", "must be between 1 and 64");
  }
  const Settings& retry = settings.section("retry");
  if (retry.duration("initial").count() < 1) throw retry.error("initial", "must be at least 1ms");
  if (retry.duration("max") < retry.duration("initial")) {
    throw retry.error("max", "must not be less than retry.initial");
  }
  if (retry.has("statuses")) {
    RetryableStatuses statuses;
    std::string bad;
    if (!statuses.parse(retry.strings("statuses"), bad)) {
      throw retry.error("statuses",
                        "'" + bad + "' is not an HTTP status such as 429 or a class such as 5xx");
    }
  }
  const Settings& dl = settings.section("dead_letter");
  if (dl.integer("max_files") < 1 || dl.integer("max_files") > 1000) {
    throw dl.error("max_files", "must be between 1 and 1000");
  }
  if (dl.size("max_bytes") < 4096) throw dl.error("max_bytes", "must be at least 4KiB");
  const Settings& tls = settings.section("tls");
  if (tls.has("cert_file") != tls.has("key_file")) {
    throw tls.error(tls.has("cert_file") ? "cert_file" : "key_file",
                    "cert_file and key_file go together (mutual TLS needs both)");
  }
  if (settings.duration("timeout").count() < 1) throw settings.error("timeout", "must be > 0");
}

DeliveryOptions delivery_options(const Settings& settings, const std::filesystem::path& state_dir) {
  DeliveryOptions o;
  const Settings& batch = settings.section("batch");
  o.max_records = static_cast<uint32_t>(batch.integer("max_records"));
  o.max_bytes = batch.size("max_bytes");
  o.flush_interval = batch.duration("flush_interval");
  o.concurrency = static_cast<unsigned>(settings.integer("concurrency"));

  const Settings& retry = settings.section("retry");
  o.retry.initial = retry.duration("initial");
  o.retry.max = retry.duration("max");
  o.retry.max_retry_after = retry.duration("max_retry_after");
  if (retry.has("max_duration")) o.retry.max_duration = retry.duration("max_duration");
  if (retry.has("statuses")) {
    std::string bad;
    o.retryable.parse(retry.strings("statuses"), bad);
  }

  const Settings& dl = settings.section("dead_letter");
  o.dead_letter.path =
      dl.has("path") ? std::filesystem::path(dl.string("path")) : state_dir / "dead_letter.ndjson";
  o.dead_letter.max_bytes = dl.size("max_bytes");
  o.dead_letter.max_files = static_cast<unsigned>(dl.integer("max_files"));

  const Settings& tls = settings.section("tls");
  o.http.tls.verify = tls.boolean("verify");
  for (auto [key, field] :
       {std::pair{"ca_file", &o.http.tls.ca_file}, std::pair{"cert_file", &o.http.tls.cert_file},
        std::pair{"key_file", &o.http.tls.key_file},
        std::pair{"server_name", &o.http.tls.server_name}}) {
    if (tls.has(key)) *field = tls.string(key);
  }
  o.http.request_timeout_ms = static_cast<uint64_t>(settings.duration("timeout").count());
  o.http.connect_timeout_ms = static_cast<uint64_t>(settings.duration("connect_timeout").count());
  o.http.max_connections_per_host = static_cast<long>(o.concurrency) + 1;
  return o;
}

}  // namespace auditrelay::delivery
