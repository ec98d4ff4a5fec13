#include "plugins/out_splunk_hec/hec_probe.h"

#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/peer_json.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_probe.h"
#include "plugins/out_splunk_hec/hec_response.h"
#include "plugins/out_splunk_hec/hec_settings.h"

namespace auditrelay::splunk_hec {
namespace {

using delivery::HttpResponse;

constexpr const char* kHealthPath = "/services/collector/health";
constexpr const char* kEventPath = "/services/collector/event";
constexpr const char* kAckPath = "/services/collector/ack";

struct HecAnswer {
  std::optional<int> code;
  std::string text;
};

HecAnswer read_answer(const std::string& body) {
  HecAnswer answer;
  rapidjson::Document doc;
  parse_peer_json(doc, body);
  if (doc.HasParseError() || !doc.IsObject()) return answer;
  if (auto code = doc.FindMember("code"); code != doc.MemberEnd() && code->value.IsInt())
    answer.code = code->value.GetInt();
  if (auto text = doc.FindMember("text"); text != doc.MemberEnd() && text->value.IsString())
    answer.text.assign(text->value.GetString(), text->value.GetStringLength());
  return answer;
}

// "code 18: HEC is unhealthy, queues are full", else the start of a non-HEC body.
std::string describe(const HttpResponse& response, const HecAnswer& answer) {
  if (answer.code)
    return "code " + std::to_string(*answer.code) + (answer.text.empty() ? "" : ": " + answer.text);
  if (response.body.empty()) return "no HEC answer";
  std::string start = response.body.substr(0, 80) + (response.body.size() > 80 ? "..." : "");
  for (char& c : start)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return "not a HEC answer: " + start;
}

// An answer none of the expected ones: the status, the request, what came back, and a hint
// when the answer was not HEC's own.
ProbeResult unexpected(const HttpResponse& response, const HecAnswer& answer, const char* method,
                       const char* path) {
  std::string message = "answered " + std::to_string(response.status) + " to " + method + " " +
                        path + " (" + describe(response, answer) + ")";
  // HEC answers its health without a token: a 401/403 there comes from something else.
  const bool token_refused =
      (response.status == 401 || response.status == 403) && std::string_view(path) != kHealthPath;
  if (!answer.code && token_refused) {
    message += ": check this output's token and any proxy in front of Splunk";
  } else if (!answer.code) {
    message +=
        ": check that url points at Splunk's HEC port (e.g. https://splunk:8088, HEC "
        "enabled; including any proxy path prefix)";
  }
  return {.ok = false, .message = std::move(message)};
}

// A fresh random channel id: a version 4 GUID (8-4-4-4-12 hex digits), as Splunk requires.
std::string random_guid() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string guid;
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      guid += '-';
    } else if (i == 14) {
      guid += '4';  // version 4
    } else if (i == 19) {
      guid += kHex[8 + digit(device) % 4];  // variant 10xx
    } else {
      guid += kHex[digit(device)];
    }
  }
  return guid;
}

// The output's headers, without Content-Encoding: the probe's bodies are not compressed.
std::vector<std::string> probe_headers(const Settings& settings, const std::string& channel) {
  std::vector<std::string> headers;
  for (const std::string& h : request_headers(settings))
    if (!h.starts_with("Content-Encoding:")) headers.push_back(h);
  if (!channel.empty()) headers.push_back("X-Splunk-Request-Channel: " + channel);
  return headers;
}

std::string base_url(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

}  // namespace

ProbeResult judge_health_answer(const HttpResponse& response) {
  if (response.status == 0)
    return {.ok = false,
            .message = "no answer to GET " + std::string(kHealthPath) + ": " + response.error};
  const HecAnswer answer = read_answer(response.body);
  const int code = answer.code.value_or(-1);
  if (response.status == 200 && code == 17) return {.ok = true, .message = "HEC is healthy"};
  if (response.status == 200 && code == 24) {
    return {.ok = true,
            .message = "HEC is healthy but its queue is approaching its capacity limit (code 24)"};
  }
  if (code == 18 || code == 19 || code == 20 || code == 23) {
    return {.ok = false,
            .message = "HEC is not ready (" + describe(response, answer) +
                       "): Splunk cannot take events now"};
  }
  return unexpected(response, answer, "GET", kHealthPath);
}

ProbeResult judge_token_answer(const HttpResponse& response) {
  if (response.status == 0)
    return {.ok = false,
            .message = "no answer to POST " + std::string(kEventPath) + ": " + response.error};
  const HecAnswer answer = read_answer(response.body);
  // 5 "No data": HEC accepted the token (and channel) and found nothing to index.
  if (answer.code == 5 || (answer.code == 0 && response.status >= 200 && response.status < 300))
    return {.ok = true, .message = "token accepted"};
  if (answer.code) {
    if (std::string advice = hec_code_advice(*answer.code, answer.text); !advice.empty())
      return {.ok = false, .message = std::move(advice)};
  }
  return unexpected(response, answer, "POST", kEventPath);
}

ProbeResult judge_ack_answer(const HttpResponse& response) {
  if (response.status == 0)
    return {.ok = false,
            .message = "no answer to POST " + std::string(kAckPath) + ": " + response.error};
  const HecAnswer answer = read_answer(response.body);
  if (response.status == 200 && !answer.code)
    return {.ok = true, .message = "indexer acknowledgement enabled"};
  if (answer.code) {
    if (std::string advice = hec_code_advice(*answer.code, answer.text); !advice.empty())
      return {.ok = false, .message = std::move(advice)};
  }
  return unexpected(response, answer, "POST", kAckPath);
}

ProbeResult probe(const Settings& settings, const OutputContext& context) {
  const std::string url = base_url(settings.string("url"));
  const bool ack = settings.boolean("ack");
  const std::string channel = ack ? random_guid() : "";
  delivery::BlockingHttpClient client(delivery::delivery_options(settings, context.state_dir).http);
  ProbeResult result{.ok = true, .target = delivery::display_url(url)};
  auto add = [&result](const ProbeResult& step) {
    result.ok = result.ok && step.ok;
    result.message += (result.message.empty() ? "" : "; ") + step.message;
  };

  delivery::HttpRequest health;
  health.method = "GET";
  health.url = url + kHealthPath;
  HttpResponse health_answer = client.send(std::move(health));
  add(judge_health_answer(health_answer));
  // Nothing listens, or not HEC: the token check would only say the same again.
  if (health_answer.status == 0 || !read_answer(health_answer.body).code) return result;

  // An empty body indexes nothing; Splunk checks the token (and channel) first.
  delivery::HttpRequest token;
  token.url = url + kEventPath;
  token.headers = probe_headers(settings, channel);
  token.body = std::make_shared<const std::string>();
  ProbeResult token_result = judge_token_answer(client.send(std::move(token)));
  add(token_result);

  if (ack && token_result.ok) {
    // Asks for an ackId this channel never had: Splunk answers false for it, or code 14 when
    // the token has acknowledgement disabled.
    delivery::HttpRequest poll;
    poll.url = url + kAckPath;
    poll.headers = probe_headers(settings, channel);
    poll.body = std::make_shared<const std::string>(R"({"acks":[0]})");
    add(judge_ack_answer(client.send(std::move(poll))));
  }
  return result;
}

}  // namespace auditrelay::splunk_hec
