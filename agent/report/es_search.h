// A report from Elasticsearch: one `_search` whose aggregations give every figure and whose
// hits (post-filtered to blocked requests, earliest first) give the blocked list. No scroll
// through the documents: the cluster does the counting.
#pragma once

#include <string>

#include "agent/report/report.h"

namespace auditrelay::report {

// Elasticsearch refuses more hits than this in one search (index.max_result_window).
inline constexpr size_t kMaxSearchHits = 10'000;
// Buckets asked of each terms aggregation (providers, policies, reason codes, modes, groups):
// far more than there are. A report refuses an answer that left some out rather than
// undercount.
inline constexpr size_t kMaxBuckets = 10'000;

// The search body for `options` (max_blocked at most kMaxSearchHits).
std::string search_body(const ReportOptions& options);

// The report from the search's answer (HTTP 200). Throws ReportError when the answer is not
// what search_body asked for.
Report report_from_search(const std::string& answer, ReportOptions options,
                          std::vector<std::string> inputs);

}  // namespace auditrelay::report
