// Reads the `<key>_file` form of a secret setting.
#pragma once

#include <filesystem>
#include <string>

namespace auditrelay {

// Reads the secret in `path` with trailing newlines ("\n", "\r\n") removed. Returns false with
// `error` set ("cannot read secret file '...': <strerror>", or empty / too large); the error
// never contains any of the file's content.
bool read_secret_file(const std::filesystem::path& path, std::string& secret, std::string& error);

}  // namespace auditrelay
