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

// `export --from-elasticsearch`: the matching documents in time order (ties by event.id),
// `page_size` at a time; each page starts after `after`, the sort values of the previous page's
// last hit (a JSON array; empty for the first page). Deep paging with search_after, not a
// scroll: nothing is held open on the cluster between pages.
std::string export_page_body(const Filter& filter, size_t page_size, const std::string& after);

struct ExportPage {
  std::vector<std::string> documents;  // each hit's _source, as JSON
  std::string after;                   // the last hit's sort values; empty on the last page
};
// Throws ReportError when the answer is not a search answer, or a partial one.
ExportPage read_export_page(const std::string& answer, size_t page_size);

}  // namespace auditrelay::report
