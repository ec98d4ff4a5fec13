// Plain text substitution, for setup's asset placeholders and for redacting secrets.
#pragma once

#include <string>
#include <string_view>

namespace auditrelay::cli::setup {

// `text` with every occurrence of `from` replaced by `to`, left to right.
inline std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace auditrelay::cli::setup
