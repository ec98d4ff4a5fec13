// The settings table of the webhook output, their checks, and what is derived from them once:
// the signing keys (never logged), the event types sent and the fixed request headers.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/settings.h"
#include "agent/delivery/delivery_settings.h"
#include "plugins/out_webhook/webhook_event.h"

namespace auditrelay::webhook {

inline constexpr std::array kSettings{
    SettingSpec{.key = "url",
                .type = SettingType::kString,
                .doc = "Receiver URL (http:// or https://); every event is POSTed to it",
                .required = true},
    SettingSpec{.key = "events",
                .type = SettingType::kStringList,
                .default_value = "[governance.request.blocked, governance.request.warned]",
                .doc = "Event types sent: governance.request.blocked, .warned, .rewritten, "
                       ".allowed; other documents are skipped"},
    SettingSpec{.key = "secret",
                .type = SettingType::kString,
                .doc = "Standard Webhooks signing secret, whsec_<base64 key>",
                .secret = true},
    SettingSpec{.key = "secrets",
                .type = SettingType::kStringList,
                .doc = "Several signing secrets during a key rotation: one signature each",
                .secret = true},
    SettingSpec{.key = "headers",
                .type = SettingType::kStringList,
                .doc = "Extra request headers, each \"Name: value\" (not webhook-* or "
                       "Content-Type)",
                .secret = true},
    delivery::kBatchSection,
    delivery::kConcurrencySetting,
    delivery::kRetrySection,
    delivery::kDeadLetterSection,
    delivery::kTlsSection,
    // Not delivery::kTimeoutSetting: a webhook receiver should answer fast (the spec's
    // receivers are told to reply within seconds and work asynchronously).
    SettingSpec{.key = "timeout",
                .type = SettingType::kDuration,
                .default_value = "15s",
                .doc = "Longest one request may take"},
    delivery::kConnectTimeoutSetting,
};

void validate(const Settings& settings);

// The whsec_ secrets of `secret` and `secrets`, in that order (validated: at least one).
std::vector<std::string> signing_secrets(const Settings& settings);

// The event types of `events` (validated).
EventTypes wanted_events(const Settings& settings);

// Content-Type and the configured extra headers, as "Name: value".
std::vector<std::string> request_headers(const Settings& settings);

}  // namespace auditrelay::webhook
