// What arrived, compared with what was handed to the agent: every marker of the ledger must be
// indexed in Elasticsearch exactly once (under one _id); Splunk HEC and the webhook receiver
// must have every record at least once (the webhook only blocked and warned ones, its default
// events), their duplicates counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/chaos/records.h"

namespace auditrelay::fakes {
class FakeElasticsearch;
class FakeSplunkHec;
class FakeWebhook;
}  // namespace auditrelay::fakes

namespace auditrelay::chaos {

struct AtLeastOnce {
  bool configured = false;
  uint64_t expected = 0;
  uint64_t lost = 0;
  uint64_t duplicated = 0;  // deliveries beyond the first
};

struct Verdict {
  uint64_t records = 0;     // markers in the ledger
  uint64_t indexed = 0;     // documents in Elasticsearch
  uint64_t lost = 0;        // markers with no document
  uint64_t duplicated = 0;  // documents beyond the first for a marker (under another _id)
  uint64_t unexpected = 0;  // documents whose marker is not in the ledger
  AtLeastOnce hec;
  AtLeastOnce webhook;
  std::vector<std::string> examples;  // a few lost or duplicated markers, for the report
};

Verdict verify(const Ledger& ledger, fakes::FakeElasticsearch& es, fakes::FakeSplunkHec* hec,
               fakes::FakeWebhook* webhook);

}  // namespace auditrelay::chaos
