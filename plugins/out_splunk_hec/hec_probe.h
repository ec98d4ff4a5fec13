// `check --connect` for the splunk_hec output: asks HEC whether it is healthy, then whether it
// takes the token (an empty event request, which Splunk answers 400 "No data" once the token
// and channel are fine, and which indexes nothing), and with ack: true whether the token has
// indexer acknowledgement enabled.
// https://docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector
#pragma once

#include "agent/core/plugin.h"
#include "agent/delivery/http_client.h"

namespace auditrelay::splunk_hec {

ProbeResult probe(const Settings& settings, const OutputContext& context);

// What each answer says (`target` left empty). Pure, for tests with canned answers.
ProbeResult judge_health_answer(const delivery::HttpResponse& response);  // GET .../health
ProbeResult judge_token_answer(const delivery::HttpResponse& response);   // empty POST .../event
ProbeResult judge_ack_answer(const delivery::HttpResponse& response);     // POST .../ack

}  // namespace auditrelay::splunk_hec
