// `check --connect` for the elasticsearch output: GET / on each configured host with the
// output's credentials and TLS settings, which reads nothing but the cluster's name and
// version and writes nothing.
#pragma once

#include "agent/core/plugin.h"
#include "agent/delivery/http_client.h"

namespace auditrelay::elasticsearch {

ProbeResult probe(const Settings& settings, const OutputContext& context);

// What one host's answer to GET / says (`target` left empty). Pure, for tests with canned
// answers. `has_credentials`: the output sends an Authorization header.
ProbeResult judge_root_answer(const delivery::HttpResponse& response, bool has_credentials);

}  // namespace auditrelay::elasticsearch
