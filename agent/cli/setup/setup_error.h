// The error of `auditrelay setup`.
#pragma once

#include <stdexcept>

namespace auditrelay::cli::setup {

// A failure of one output's setup: the one-line message, already naming the host.
class SetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace auditrelay::cli::setup
