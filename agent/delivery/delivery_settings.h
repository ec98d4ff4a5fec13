// The settings every network output shares (batching, concurrency, retries, dead-letter file,
// TLS, timeouts), declared once so each plugin lists them in its own table, and read into one
// DeliveryOptions for the BatchDriver and the HTTP client.
#pragma once

#include <array>
#include <bitset>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "agent/config/settings.h"
#include "agent/delivery/http_client.h"
#include "agent/delivery/retry_policy.h"

namespace auditrelay::delivery {

inline constexpr std::array kBatchSpec{
    SettingSpec{.key = "max_records",
                .type = SettingType::kInt,
                .default_value = "500",
                .doc = "Most documents in one request"},
    SettingSpec{.key = "max_bytes",
                .type = SettingType::kSize,
                .default_value = "5MiB",
                .doc = "Most document bytes in one request (before compression)"},
    SettingSpec{.key = "flush_interval",
                .type = SettingType::kDuration,
                .default_value = "1s",
                .doc = "Longest a partly filled batch waits for more documents"},
};

inline constexpr std::array kRetrySpec{
    SettingSpec{.key = "initial",
                .type = SettingType::kDuration,
                .default_value = "500ms",
                .doc = "Backoff ceiling after the first failure (full jitter, doubling)"},
    SettingSpec{.key = "max",
                .type = SettingType::kDuration,
                .default_value = "60s",
                .doc = "Cap of the exponential backoff"},
    SettingSpec{.key = "max_retry_after",
                .type = SettingType::kDuration,
                .default_value = "5m",
                .doc = "Cap of a receiver's Retry-After (which is otherwise a floor)"},
    SettingSpec{.key = "max_duration",
                .type = SettingType::kDuration,
                .doc = "Give up and dead-letter after retrying this long (unset: never)"},
    SettingSpec{.key = "statuses",
                .type = SettingType::kStringList,
                .doc = "HTTP statuses retried, e.g. [429, 5xx] (default: 408, 429, 5xx but "
                       "501 and 505)"},
};

inline constexpr std::array kDeadLetterSpec{
    SettingSpec{.key = "path",
                .type = SettingType::kPath,
                .doc = "NDJSON file of rejected documents (default: "
                       "<storage>/outputs/<name>/dead_letter.ndjson)"},
    SettingSpec{.key = "max_bytes",
                .type = SettingType::kSize,
                .default_value = "100MiB",
                .doc = "Size at which the file is rotated to <path>.1"},
    SettingSpec{.key = "max_files",
                .type = SettingType::kInt,
                .default_value = "5",
                .doc = "Rotated files kept (<path>.1 .. <path>.N)"},
};

inline constexpr std::array kTlsSpec{
    SettingSpec{.key = "verify",
                .type = SettingType::kBool,
                .default_value = "true",
                .doc = "Verify the server's certificate and name"},
    SettingSpec{.key = "ca_file",
                .type = SettingType::kPath,
                .doc = "PEM CA bundle to trust instead of the system's"},
    SettingSpec{.key = "cert_file",
                .type = SettingType::kPath,
                .doc = "PEM client certificate (mutual TLS)"},
    SettingSpec{.key = "key_file", .type = SettingType::kPath, .doc = "PEM key of cert_file"},
    SettingSpec{.key = "server_name",
                .type = SettingType::kString,
                .doc = "Name for SNI and verification when it differs from the URL's host"},
};

// The entries a network plugin appends to its settings table.
inline constexpr SettingSpec kBatchSection{
    .key = "batch", .type = SettingType::kSection, .doc = "Batching", .section = kBatchSpec};
inline constexpr SettingSpec kConcurrencySetting{.key = "concurrency",
                                                 .type = SettingType::kInt,
                                                 .default_value = "2",
                                                 .doc = "Requests in flight at once"};
inline constexpr SettingSpec kRetrySection{
    .key = "retry", .type = SettingType::kSection, .doc = "Retries", .section = kRetrySpec};
inline constexpr SettingSpec kDeadLetterSection{.key = "dead_letter",
                                                .type = SettingType::kSection,
                                                .doc = "Where rejected documents go",
                                                .section = kDeadLetterSpec};
inline constexpr SettingSpec kTlsSection{
    .key = "tls", .type = SettingType::kSection, .doc = "TLS for https URLs", .section = kTlsSpec};
inline constexpr SettingSpec kTimeoutSetting{.key = "timeout",
                                             .type = SettingType::kDuration,
                                             .default_value = "30s",
                                             .doc = "Longest one request may take"};
inline constexpr SettingSpec kConnectTimeoutSetting{.key = "connect_timeout",
                                                    .type = SettingType::kDuration,
                                                    .default_value = "10s",
                                                    .doc = "Longest a connection may take"};

// Which HTTP statuses are worth retrying (retry.statuses).
class RetryableStatuses {
 public:
  RetryableStatuses();  // the defaults: retryable_by_default()
  // Items such as "429", "503" or "5xx". Returns false (and leaves *this alone) on a bad item,
  // naming it in `bad`.
  bool parse(const std::vector<std::string>& items, std::string& bad);
  bool operator()(int status) const {
    return status >= 0 && status < 600 && set_[static_cast<size_t>(status)];
  }

 private:
  std::bitset<600> set_;
};

struct DeadLetterOptions {
  std::filesystem::path path;
  uint64_t max_bytes = 100ull << 20;
  unsigned max_files = 5;
};

struct DeliveryOptions {
  uint32_t max_records = 500;
  uint64_t max_bytes = 5ull << 20;
  std::chrono::milliseconds flush_interval{1000};
  unsigned concurrency = 2;
  RetrySettings retry;
  RetryableStatuses retryable;
  DeadLetterOptions dead_letter;
  HttpClientOptions http;
};

// Checks ranges and combinations of the shared settings; throws ConfigError.
void validate_delivery_settings(const Settings& settings);
// Reads them; `state_dir` is the output's private directory (default dead-letter place).
DeliveryOptions delivery_options(const Settings& settings, const std::filesystem::path& state_dir);

}  // namespace auditrelay::delivery
