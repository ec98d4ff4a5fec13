// A `listen` setting: "host:port", "[ipv6]:port", or a bare "port" / ":port" on 127.0.0.1.
// Port 0 takes any free port (the agent logs the one it got).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace auditrelay {

struct ListenAddress {
  std::string host;
  int port = 0;
};

std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace auditrelay
