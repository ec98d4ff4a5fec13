#include "plugins/out_splunk_hec/hec_response.h"

#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "agent/core/peer_json.h"

namespace auditrelay::splunk_hec {
namespace {

using delivery::ItemOutcome;
using delivery::Outcome;
using delivery::Verdict;

struct HecBody {
  std::optional<int> code;
  std::string text;
  std::optional<int64_t> invalid_event;  // "invalid-event-number", 0-based
};

HecBody read_body(const std::string& body) {
  HecBody hec;
  rapidjson::Document doc;
  parse_peer_json(doc, body);
  if (doc.HasParseError() || !doc.IsObject()) return hec;
  if (auto code = doc.FindMember("code"); code != doc.MemberEnd() && code->value.IsInt()) {
    hec.code = code->value.GetInt();
  }
  if (auto text = doc.FindMember("text"); text != doc.MemberEnd() && text->value.IsString()) {
    hec.text.assign(text->value.GetString(), text->value.GetStringLength());
  }
  if (auto k = doc.FindMember("invalid-event-number"); k != doc.MemberEnd() && k->value.IsInt64()) {
    hec.invalid_event = k->value.GetInt64();
  }
  return hec;
}

std::string code_text(int code, const std::string& text) {
  return "code " + std::to_string(code) + (text.empty() ? "" : ": " + text);
}

// One actionable sentence for the codes an operator must fix; empty for the others.
std::string alert_for(int code, const std::string& text) {
  std::string advice = hec_code_advice(code, text);
  return advice.empty() ? advice : advice + "; the events stay buffered";
}

const char* alert_for_status(long status) {
  switch (status) {
    case 401:
    case 403:
      return "the HEC endpoint refused the request without a HEC answer: check this output's "
             "token and any proxy in front of Splunk; the events stay buffered";
    case 404:
      return "the HEC endpoint answered 404: check that url points at Splunk's HEC port "
             "(e.g. https://splunk:8088, HEC enabled; including any proxy path prefix); the "
             "events stay buffered";
    default:
      return "";
  }
}

bool event_rejected(int code) {
  switch (code) {
    case 5:   // no data
    case 6:   // invalid data format
    case 7:   // incorrect index
    case 12:  // event field is required
    case 13:  // event field cannot be blank
    case 15:  // error in handling indexed fields
      return true;
    default:
      return false;
  }
}

// HEC indexes a batch's events in order until the first bad one, then stops: those before K
// are in, K can never be, those after K were not looked at.
void per_item(const HecBody& hec, int status, size_t items, Outcome& outcome) {
  ItemOutcome bad;
  bad.verdict = Verdict::kRejected;
  bad.status = status;
  bad.error_type = outcome.error_type;
  bad.reason = outcome.reason;
  if (!hec.invalid_event || *hec.invalid_event < 0 ||
      static_cast<uint64_t>(*hec.invalid_event) >= items) {
    outcome.verdict = Verdict::kRejected;
    return;
  }
  const auto k = static_cast<size_t>(*hec.invalid_event);
  outcome.items.resize(items);
  for (size_t i = 0; i < items; ++i) {
    ItemOutcome& item = outcome.items[i];
    if (i < k) {
      item.verdict = Verdict::kDelivered;
      item.status = status;
    } else if (i == k) {
      item = bad;
    } else {
      item.verdict = Verdict::kRetry;
      item.status = status;
      item.error_type = "not_processed";
      item.reason = "after the invalid event " + std::to_string(k) + " of the batch";
    }
  }
  outcome.verdict = Verdict::kRejected;  // unused when items is set; kept for consistency
}

}  // namespace

std::string hec_code_advice(int code, const std::string& text) {
  std::string what = "(";  // built by appending: GCC 12 -O2 warns (-Wrestrict) on "(" + ...
  what.append(code_text(code, text)).push_back(')');
  switch (code) {
    case 1:
      return "Splunk refused the HEC token " + what +
             ": the token is disabled; enable it in Splunk or set this output's token to an "
             "enabled one";
    case 2:
    case 3:
      return "Splunk did not accept the authorization " + what +
             ": check this output's token and that no proxy drops or rewrites the "
             "Authorization header";
    case 4:
    case 21:
    case 22:
      return "Splunk refused the HEC token " + what + ": check this output's token";
    case 10:
      return "Splunk requires a data channel " + what +
             ": the token has indexer acknowledgement enabled; set ack: true on this output "
             "(or disable acknowledgement on the token)";
    case 11:
      return "Splunk refused the data channel " + what +
             ": check the token's acknowledgement configuration";
    case 14:
      return "Splunk has acknowledgement disabled on this token while ack: true " + what +
             ": enable acknowledgement on the token or set ack: false";
    case 16:
      return "Splunk refused the request " + what +
             ": query-string authorization is not enabled; check that url has no query "
             "string";
    default:
      return "";
  }
}

Outcome classify_hec_response(const delivery::HttpResponse& response, size_t items,
                              const delivery::RetryableStatuses& retryable) {
  Outcome outcome;
  if (delivery::classify_transport(response.status, response.error, response.retry_after,
                                   outcome)) {
    return outcome;
  }
  const bool ok = response.status >= 200 && response.status < 300;
  const HecBody hec = read_body(response.body);
  if (hec.code) {
    const int code = *hec.code;
    outcome.error_type = "hec_code_" + std::to_string(code);
    outcome.reason = code_text(code, hec.text);
    if ((code == 0 || code == 17) && ok) {  // 17: "HEC is healthy"
      outcome.verdict = Verdict::kDelivered;
      outcome.error_type.clear();
      outcome.reason.clear();
      return outcome;
    }
    if (std::string alert = alert_for(code, hec.text); !alert.empty()) {
      outcome.verdict = Verdict::kRetry;
      outcome.alert = std::move(alert);
      return outcome;
    }
    if (code == 8 || code == 9 || code == 18 || code == 19 || code == 20 ||
        retryable(outcome.status)) {
      outcome.verdict = Verdict::kRetry;
      return outcome;
    }
    if (event_rejected(code)) {
      if (code == 7) outcome.reason = "incorrect index";
      per_item(hec, outcome.status, items, outcome);
      return outcome;
    }
    // An unknown code: judged by the HTTP status below.
  } else {
    outcome.error_type = "http_" + std::to_string(outcome.status);
    outcome.reason = response.body.substr(0, 200);
  }
  if (ok) {
    outcome = Outcome{};
    outcome.status = static_cast<int>(response.status);
    outcome.verdict = Verdict::kDelivered;
    return outcome;
  }
  outcome.alert = alert_for_status(response.status);
  const bool retry = !outcome.alert.empty() || retryable(outcome.status);
  outcome.verdict = retry ? Verdict::kRetry : Verdict::kRejected;
  return outcome;
}

}  // namespace auditrelay::splunk_hec
