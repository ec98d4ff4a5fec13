// The settings table of the elasticsearch output, their checks, and what is derived from them
// once: the request headers (credentials included; never logged).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/settings.h"
#include "agent/delivery/delivery_settings.h"

namespace auditrelay::elasticsearch {

inline constexpr std::array<std::string_view, 2> kCompression{"none", "gzip"};

inline constexpr std::array kSettings{
    SettingSpec{.key = "hosts",
                .type = SettingType::kStringList,
                .doc = "Elasticsearch URLs, e.g. [https://es1:9200, https://es2:9200]: "
                       "round-robin, a failing one set aside",
                .required = true},
    SettingSpec{.key = "index",
                .type = SettingType::kString,
                .doc = "A classic index to write to instead of each document's data stream "
                       "(logs-<dataset>-<namespace>)"},
    SettingSpec{.key = "api_key",
                .type = SettingType::kString,
                .doc = "API key, as id:key or in its encoded form",
                .secret = true},
    SettingSpec{.key = "user", .type = SettingType::kString, .doc = "Basic auth user"},
    SettingSpec{.key = "password",
                .type = SettingType::kString,
                .doc = "Basic auth password",
                .secret = true},
    SettingSpec{.key = "bearer",
                .type = SettingType::kString,
                .doc = "Bearer token (e.g. from a service account)",
                .secret = true},
    SettingSpec{.key = "headers",
                .type = SettingType::kStringList,
                .doc = "Extra request headers, each \"Name: value\"",
                .secret = true},
    SettingSpec{.key = "compression",
                .type = SettingType::kEnum,
                .default_value = "none",
                .doc = "gzip request bodies (less network, more CPU) or none",
                .choices = kCompression},
    delivery::kBatchSection,
    delivery::kConcurrencySetting,
    delivery::kRetrySection,
    delivery::kDeadLetterSection,
    delivery::kTlsSection,
    delivery::kTimeoutSetting,
    delivery::kConnectTimeoutSetting,
};

void validate(const Settings& settings);

// Content-Type, Authorization (api_key, user/password or bearer), Content-Encoding when
// compressing, and the configured extra headers, as "Name: value".
std::vector<std::string> request_headers(const Settings& settings);

// Elastic's index naming rules: lower case, none of \ / * ? " < > | , # : or space, not
// starting with - _ +, not . or .., at most 255 bytes.
bool valid_index_name(const std::string& name);

}  // namespace auditrelay::elasticsearch
