// What the loader carries while it walks one YAML document: the file name for marks, the
// directory relative paths resolve against, the environment; and the walk over a mapping that
// catches what yaml-cpp lets through (duplicate keys, non-scalar keys).
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.h"

namespace auditrelay {

struct LoadContext {
  std::string file;
  std::filesystem::path base_dir;  // absolute and lexically normal
  const EnvLookup* env = nullptr;

  // yaml-cpp marks are 0-based; ours are 1-based.
  ConfigMark mark(const YAML::Mark& mark) const;
  [[noreturn]] void fail(const YAML::Mark& mark, std::string key_path, std::string message) const;
};

// One `key: value` of a mapping.
struct MapEntry {
  std::string key;
  std::string path;  // the parent's path + "." + key
  YAML::Node value;
  YAML::Mark key_mark;
  // The value's own mark, except the key's for a null value (yaml-cpp puts an empty value at
  // the next token) and for an alias (its mark is the anchor's).
  YAML::Mark value_mark;
};

// The entries of mapping `node` (at `path`) in file order; fails on a repeated or non-scalar key.
std::vector<MapEntry> mapping_entries(const YAML::Node& node, const std::string& path,
                                      const LoadContext& ctx);

// "a.b", or "b" when the parent is the root.
std::string child_path(const std::string& parent, std::string_view key);
std::string item_path(const std::string& parent, size_t index);

// For "found ..." in type errors: "a sequence", "a mapping", "null", or the quoted scalar.
std::string describe_node(const YAML::Node& node);

// "unknown key 'x'", with "(did you mean 'y'?)" when one of `known` is within two edits.
std::string unknown_key_message(std::string_view key, const std::vector<std::string>& known);

}  // namespace auditrelay
