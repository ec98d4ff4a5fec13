#include "agent/config/config.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <system_error>

#include "agent/config/instances.h"
#include "agent/config/validate.h"
#include "agent/config/yaml_walk.h"

namespace auditrelay {
namespace {

// Notes where each document starts (its first token) and where its root node is; nothing
// else of the parse is kept.
class DocumentMarks : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  std::vector<YAML::Mark> roots;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (roots.size() < starts.size()) roots.push_back(mark);
  }
};

YAML::Node parse_document(std::string_view yaml, const LoadContext& ctx) {
  const std::string text(yaml);
  DocumentMarks marks;
  YAML::Node document;
  try {
    // Counted by hand rather than with YAML::LoadAll: yaml-cpp 0.7 does not consume a token
    // that cannot start a node (a ',' at the top level), and LoadAll then adds empty
    // documents at that same place for ever, growing until memory runs out. A document
    // always consumes something, so one starting where the previous one did is that case.
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(marks)) {
      const size_t n = marks.starts.size();
      if (n > 1 && marks.starts[n - 1].pos == marks.starts[n - 2].pos) {
        const YAML::Mark& at = marks.starts.back();
        const size_t pos = static_cast<size_t>(std::max(at.pos, 0));
        ctx.fail(at, "",
                 pos < text.size() ? std::string("invalid YAML: unexpected '") + text[pos] + "'"
                                   : std::string("invalid YAML"));
      }
    }
    document = YAML::Load(text);  // the first document
  } catch (const YAML::Exception& e) {
    ctx.fail(e.mark, "", "invalid YAML: " + e.msg);
  }
  if (marks.starts.size() > 1) {
    ctx.fail(marks.roots.size() > 1 ? marks.roots[1] : marks.starts[1], "",
             "expected one YAML document, found " + std::to_string(marks.starts.size()));
  }
  if (marks.starts.empty() || document.IsNull()) {
    ctx.fail(YAML::Mark(), "", "the configuration is empty");
  }
  return document;
}

Settings load_section(const MapEntry& entry, SettingsSpec spec, const LoadContext& ctx) {
  if (!entry.value.IsMap()) {
    ctx.fail(entry.value_mark, entry.path,
             "expected a mapping, found " + describe_node(entry.value));
  }
  return validate_mapping(entry.value, spec, entry.path, ctx);
}

void load_pipeline(const MapEntry& entry, const ConfigSchema& schema, const LoadContext& ctx,
                   PipelineConfig& config) {
  const YAML::Node& node = entry.value;
  if (!node.IsMap()) {
    ctx.fail(entry.value_mark, entry.path, "expected a mapping, found " + describe_node(node));
  }
  const std::vector<MapEntry> entries = mapping_entries(node, entry.path, ctx);
  std::vector<std::string> known{"inputs", "outputs"};
  add_accepted_keys(schema.pipeline, known);
  const MapEntry* inputs = nullptr;
  const MapEntry* outputs = nullptr;
  std::vector<const MapEntry*> settings;
  for (const MapEntry& e : entries) {
    if (e.key == "inputs") {
      inputs = &e;
    } else if (e.key == "outputs") {
      outputs = &e;
    } else if (find_setting(schema.pipeline, e.key).spec != nullptr) {
      settings.push_back(&e);
    } else {
      ctx.fail(e.key_mark, e.path, unknown_key_message(e.key, known));
    }
  }
  config.pipeline = build_settings(settings, schema.pipeline, entry.path, node.Mark(), ctx);

  InstanceNames names;
  if (inputs == nullptr) ctx.fail(node.Mark(), "pipeline.inputs", "missing required key 'inputs'");
  config.inputs = load_instances("input", *inputs, schema, ctx, names);
  if (outputs == nullptr) {
    ctx.fail(node.Mark(), "pipeline.outputs", "missing required key 'outputs'");
  }
  config.outputs = load_instances("output", *outputs, schema, ctx, names);
}

void load_root(const YAML::Node& root, const ConfigSchema& schema, const LoadContext& ctx,
               PipelineConfig& config) {
  if (!root.IsMap()) {
    ctx.fail(root.Mark(), "",
             "expected a mapping with 'service' and 'pipeline', found " + describe_node(root));
  }
  const std::vector<MapEntry> entries = mapping_entries(root, "", ctx);
  const MapEntry* service = nullptr;
  const MapEntry* pipeline = nullptr;
  for (const MapEntry& e : entries) {
    if (e.key == "service") {
      service = &e;
    } else if (e.key == "pipeline") {
      pipeline = &e;
    } else {
      ctx.fail(e.key_mark, e.path, unknown_key_message(e.key, {"service", "pipeline"}));
    }
  }
  config.service = service != nullptr
                       ? load_section(*service, schema.service, ctx)
                       : build_settings({}, schema.service, "service", root.Mark(), ctx);
  if (pipeline == nullptr) ctx.fail(root.Mark(), "pipeline", "missing required key 'pipeline'");
  load_pipeline(*pipeline, schema, ctx, config);
}

}  // namespace

PipelineConfig load_config_text(std::string_view yaml, const std::string& file_name,
                                const std::filesystem::path& base_dir, const ConfigSchema& schema,
                                const EnvLookup& env) {
  LoadContext ctx;
  ctx.file = file_name;
  ctx.base_dir = std::filesystem::absolute(base_dir).lexically_normal();
  ctx.env = &env;

  PipelineConfig config;
  config.file = file_name;
  config.base_dir = ctx.base_dir;
  load_root(parse_document(yaml, ctx), schema, ctx, config);
  return config;
}

PipelineConfig load_config(const std::filesystem::path& file, const ConfigSchema& schema,
                           const EnvLookup& env) {
  auto fail = [&file](int err) {
    throw ConfigError(ConfigMark{file.string(), 0, 0}, "",
                      std::string("cannot read the configuration file: ") + std::strerror(err));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (in == nullptr) fail(errno);
  std::string text;
  char buffer[8192];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, in.get())) > 0)
    text.append(buffer, n);
  if (std::ferror(in.get()) != 0) fail(errno);

  PipelineConfig config = load_config_text(
      text, file.string(), std::filesystem::absolute(file).parent_path(), schema, env);
  config.file = file;
  return config;
}

}  // namespace auditrelay
