// Durable per-output cursors: <dir>/cursors/<output>.cursor, 16 bytes ("ARC1", the sequence
// number, a checksum), replaced atomically. A file that is missing, empty or garbage is
// reported as such, never an error: the queue then starts that output at its oldest record.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::buffer {

enum class CursorRead { kOk, kMissing, kEmpty, kGarbage };

// Output names are escaped (%XX for anything but [A-Za-z0-9._-]) so that any name is one
// plain file name.
std::string cursor_file_name(std::string_view output);
std::optional<std::string> output_of_cursor_file(std::string_view file_name);

std::string encode_cursor(uint64_t next_seq);
std::optional<uint64_t> decode_cursor(std::string_view bytes);

CursorRead read_cursor(const std::filesystem::path& dir, std::string_view output,
                       uint64_t& next_seq);
std::string write_cursor(const std::filesystem::path& dir, std::string_view output,
                         uint64_t next_seq);
// Every cursor file's output and value; unreadable ones as nullopt.
std::map<std::string, std::optional<uint64_t>> read_all_cursors(const std::filesystem::path& dir);
// Removes cursor files (and leftover temporaries) of outputs not in `keep`. Returns the names
// removed.
std::vector<std::string> remove_other_cursors(const std::filesystem::path& dir,
                                              const std::vector<std::string>& keep);

}  // namespace auditrelay::buffer
