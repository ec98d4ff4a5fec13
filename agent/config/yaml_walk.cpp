#include "agent/config/yaml_walk.h"

#include <algorithm>
#include <map>
#include <optional>

namespace auditrelay {
namespace {

// Optimal string alignment distance: Levenshtein plus adjacent transpositions ("pahts").
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> closest(std::string_view key, const std::vector<std::string>& known) {
  constexpr size_t kMaxDistance = 2;
  std::optional<std::string> best;
  size_t best_distance = kMaxDistance + 1;
  for (const std::string& candidate : known) {
    const size_t distance = edit_distance(key, candidate);
    // A distance as long as the key itself is a different word, not a typo ("ab" vs "x").
    if (distance < best_distance && distance < key.size()) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace

ConfigMark LoadContext::mark(const YAML::Mark& mark) const {
  return ConfigMark{file, mark.line + 1, mark.column + 1};
}

void LoadContext::fail(const YAML::Mark& at, std::string key_path, std::string message) const {
  throw ConfigError(mark(at), std::move(key_path), std::move(message));
}

std::vector<MapEntry> mapping_entries(const YAML::Node& node, const std::string& path,
                                      const LoadContext& ctx) {
  std::vector<MapEntry> entries;
  // yaml-cpp keeps every pair of a mapping, repeated keys included: catch them here.
  std::map<std::string, int, std::less<>> first_line;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: it-> yields a proxy that dies at the end of the expression.
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      ctx.fail(key.Mark(), path, "keys must be strings, found " + describe_node(key));
    }
    MapEntry entry;
    entry.key = key.Scalar();
    entry.path = child_path(path, entry.key);
    entry.value = it->second;
    entry.key_mark = key.Mark();
    entry.value_mark = entry.value.Mark();
    if (entry.value.IsNull() || entry.value_mark.pos < entry.key_mark.pos) {
      entry.value_mark = entry.key_mark;
    }
    auto [previous, inserted] = first_line.emplace(entry.key, entry.key_mark.line + 1);
    if (!inserted) {
      ctx.fail(entry.key_mark, entry.path,
               "duplicate key '" + entry.key + "' (first on line " +
                   std::to_string(previous->second) + ")");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string item_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "null";
}

std::string unknown_key_message(std::string_view key, const std::vector<std::string>& known) {
  std::string message = "unknown key '" + std::string(key) + "'";
  if (auto hint = closest(key, known)) message += " (did you mean '" + *hint + "'?)";
  return message;
}

}  // namespace auditrelay
