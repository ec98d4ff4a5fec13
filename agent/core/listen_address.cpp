#include "agent/core/listen_address.h"

#include <charconv>

namespace auditrelay {

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress address{"127.0.0.1", 0};
  std::string_view port = text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find("]:");
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    address.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) return std::nullopt;  // an IPv6 address needs brackets
    if (colon > 0) address.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.front() < '0' || port.front() > '9') {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (ec != std::errc() || end != port.data() + port.size() || address.port > 65535) {
    return std::nullopt;
  }
  return address;
}

}  // namespace auditrelay
