// The plugins compiled into this binary, looked up by `type`. The list itself is explicit and
// lives with the plugins (plugins/builtin_plugins.cpp); the core knows none of them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/core/plugin.h"

namespace auditrelay {

class PluginRegistry {
 public:
  void add(const InputPlugin& plugin) { inputs_.push_back(&plugin); }
  void add(const OutputPlugin& plugin) { outputs_.push_back(&plugin); }

  const InputPlugin* input(std::string_view type) const {
    for (const auto* p : inputs_) {
      if (p->type == type) return p;
    }
    return nullptr;
  }
  const OutputPlugin* output(std::string_view type) const {
    for (const auto* p : outputs_) {
      if (p->type == type) return p;
    }
    return nullptr;
  }
  std::vector<std::string> input_types() const { return types(inputs_); }
  std::vector<std::string> output_types() const { return types(outputs_); }

 private:
  template <typename P>
  static std::vector<std::string> types(const std::vector<const P*>& list) {
    std::vector<std::string> out;
    for (const auto* p : list)
      out.emplace_back(p->type);
    return out;
  }

  std::vector<const InputPlugin*> inputs_;
  std::vector<const OutputPlugin*> outputs_;
};

// Defined in plugins/builtin_plugins.cpp.
const PluginRegistry& builtin_plugins();

}  // namespace auditrelay
