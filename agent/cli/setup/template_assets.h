// The JSON assets of `auditrelay setup` (packaging/elastic/): where they are, loading them with
// their placeholders filled in, and the index template body with its content hash. No network.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::cli::setup {

inline constexpr std::string_view kTemplateFile = "index-template.json";
inline constexpr std::string_view kIlmFile = "ilm-policy.json";

// Where the JSON assets are: --assets, else the installed copy, else one next to the binary
// (a relocated install or a build tree), else the source tree this binary was built from.
// Throws SetupError.
std::filesystem::path find_assets(const std::string& override_dir);

// An asset with its placeholders filled in. Both values are safe inside JSON strings and
// URLs: the dataset was validated as a data stream name part, the version is digits and dots.
// Throws SetupError.
rapidjson::Document load_asset(const std::filesystem::path& file, const std::string& dataset);

std::string compact(const rapidjson::Value& value);

// The index template body: the asset with composed_of and the ILM policy filled in, and
// _meta.content_hash over all the rest. Elasticsearch hands a template back normalized
// (defaults added, settings rewritten), but _meta verbatim: the hash is what tells whether
// the installed template is ours as of this version and these options.
std::string build_template(rapidjson::Document doc, const std::vector<std::string>& components,
                           const std::string& ilm_policy, std::string& hash);

// The content hash of the installed template in a GET /_index_template/<name> answer.
std::string installed_hash(const std::string& body, const std::string& name);

}  // namespace auditrelay::cli::setup
