// The error of `auditrelay report` and `auditrelay export`: a one-line message for the
// operator (which file, which date, what the cluster said), never a secret.
#pragma once

#include <stdexcept>

namespace auditrelay::report {

class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace auditrelay::report
