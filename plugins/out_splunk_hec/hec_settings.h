// The settings table of the splunk_hec output, their checks, and what is derived from them
// once: the request headers (the token included; never logged) and the event metadata.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/settings.h"
#include "agent/delivery/delivery_settings.h"

namespace auditrelay::splunk_hec {

inline constexpr std::array<std::string_view, 2> kCompression{"none", "gzip"};

inline constexpr std::array kSettings{
    SettingSpec{.key = "url",
                .type = SettingType::kString,
                .doc = "HEC base URL, e.g. https://splunk:8088 (events go to "
                       "<url>/services/collector/event)",
                .required = true},
    SettingSpec{.key = "token",
                .type = SettingType::kString,
                .doc = "HEC token, sent as 'Authorization: Splunk <token>'",
                .required = true,
                .secret = true},
    SettingSpec{.key = "host",
                .type = SettingType::kString,
                .doc = "The events' host (default: this machine's hostname)"},
    SettingSpec{.key = "source",
                .type = SettingType::kString,
                .doc = "The events' source (default: auditrelay:<output name>; the input a "
                       "document came from is not known per document)"},
    SettingSpec{.key = "sourcetype",
                .type = SettingType::kString,
                .default_value = "policy_gateway:audit",
                .doc = "The events' sourcetype"},
    SettingSpec{.key = "index",
                .type = SettingType::kString,
                .doc = "Splunk index to write to (default: the token's default index)"},
    SettingSpec{
        .key = "fields",
        .type = SettingType::kStringList,
        .default_value = "[policy.policy_id, policy.decision, event.outcome, data_stream.dataset]",
        .doc = "Document paths sent as indexed fields, named by the full dotted path"},
    SettingSpec{.key = "compression",
                .type = SettingType::kEnum,
                .default_value = "none",
                .doc = "gzip request bodies (less network, more CPU) or none",
                .choices = kCompression},
    SettingSpec{.key = "ack",
                .type = SettingType::kBool,
                .default_value = "false",
                .doc = "Indexer acknowledgement: the cursor passes events only once Splunk "
                       "confirms them indexed (the token must have acknowledgement enabled)"},
    SettingSpec{.key = "ack_interval",
                .type = SettingType::kDuration,
                .default_value = "1s",
                .doc = "Longest wait between two polls of /services/collector/ack while "
                       "acknowledgements are awaited (polls start at 10 ms and double)"},
    SettingSpec{.key = "ack_timeout",
                .type = SettingType::kDuration,
                .default_value = "5m",
                .doc = "An acknowledgement not received by then: the events are sent again"},
    SettingSpec{.key = "ack_max_pending",
                .type = SettingType::kInt,
                .default_value = "64",
                .doc = "Most requests waiting for acknowledgement; beyond, sending pauses"},
    delivery::kBatchSection,
    delivery::kConcurrencySetting,
    delivery::kRetrySection,
    delivery::kDeadLetterSection,
    delivery::kTlsSection,
    delivery::kTimeoutSetting,
    delivery::kConnectTimeoutSetting,
};

void validate(const Settings& settings);

// Content-Type, Authorization and, when compressing, Content-Encoding, as "Name: value".
std::vector<std::string> request_headers(const Settings& settings);

// <url>/services/collector/event, whether or not the configured url ends with a slash.
std::string event_url(const std::string& base_url);
// <url>/services/collector/ack, likewise.
std::string ack_url(const std::string& base_url);

// This machine's hostname, or "localhost" if it cannot be read.
std::string machine_hostname();

}  // namespace auditrelay::splunk_hec
