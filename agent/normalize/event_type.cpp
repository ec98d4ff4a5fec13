#include "agent/normalize/event_type.h"

#include <array>

namespace auditrelay::normalize {
namespace {

bool iequals(std::string_view input, std::string_view lower_keyword) {
  if (input.size() != lower_keyword.size()) return false;
  for (size_t i = 0; i < input.size(); ++i) {
    char c = input[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_keyword[i]) return false;
  }
  return true;
}

template <size_t N>
bool is_one_of(std::string_view input, const std::array<std::string_view, N>& keywords) {
  for (std::string_view keyword : keywords) {
    if (iequals(input, keyword)) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 3> kAllow = {"allow", "allowed", "pass"};
constexpr std::array<std::string_view, 5> kDeny = {"block", "blocked", "deny", "denied", "reject"};
constexpr std::array<std::string_view, 4> kChange = {"rewrite", "redact", "mask", "modify"};
constexpr std::array<std::string_view, 4> kInfo = {"warn", "flag", "monitor", "log"};

}  // namespace

EventType classify_decision(std::string_view decision) {
  EventType type;
  if (is_one_of(decision, kAllow)) {
    type.allowed = true;
  } else if (is_one_of(decision, kDeny)) {
    type.denied = true;
  } else if (is_one_of(decision, kChange)) {
    type.allowed = type.change = true;
  } else if (is_one_of(decision, kInfo)) {
    type.allowed = type.info = true;
  } else {
    type.info = true;
  }
  return type;
}

std::string_view event_outcome(const EventType& type) {
  if (type.allowed) return "success";
  if (type.denied) return "failure";
  return "unknown";
}

std::string_view decision_category(const EventType& type) {
  if (type.denied) return "blocked";
  if (type.change) return "rewritten";
  if (type.info && type.allowed) return "warned";
  if (type.allowed) return "allowed";
  return "other";
}

}  // namespace auditrelay::normalize
