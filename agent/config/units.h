// Text forms of the setting types that have units (durations, sizes) and of booleans and
// integers: parsing for the loader, formatting for render_effective_config. parse_duration and
// parse_size are declared in settings.h because plugins may use them too.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace auditrelay {

// true/false or yes/no, in any letter case (not YAML 1.1's on/off/y/n: too easy to misread).
bool parse_bool(std::string_view text, bool& out);
// A decimal signed 64-bit integer, optionally negative.
bool parse_int(std::string_view text, int64_t& out);

// The largest exact unit: "1h", "2m", "5s", "250ms"; zero is "0s".
std::string format_duration(std::chrono::milliseconds value);
// The largest exact binary unit: "2GiB", "64MiB", "512KiB"; otherwise bytes, "1000".
std::string format_size(uint64_t bytes);

}  // namespace auditrelay
