// `auditrelay setup`: installs what the elasticsearch outputs' data streams need (an index
// template with our mappings, optionally an ILM policy) from packaging/elastic/, idempotently,
// through the same hosts, credentials and TLS settings as the running outputs.
#include <array>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/cli/setup/cluster.h"
#include "agent/cli/setup/setup_error.h"
#include "agent/cli/setup/template_assets.h"
#include "agent/config/config.h"
#include "agent/core/config_schema.h"
#include "agent/core/engine.h"
#include "agent/delivery/http_client.h"

namespace auditrelay::cli {
namespace {

namespace fs = std::filesystem;
using delivery::HttpResponse;
using setup::build_template;
using setup::Cluster;
using setup::compact;
using setup::fail;
using setup::find_assets;
using setup::installed_hash;
using setup::kIlmFile;
using setup::kTemplateFile;
using setup::load_asset;
using setup::SetupError;

// Elastic's built-in components (8.x), in the order the built-in `logs` template lists them:
// later ones win. Older or stripped clusters may lack them, so each is used only if present.
constexpr std::array<std::string_view, 2> kComponents{"logs@settings", "ecs@mappings"};

struct SetupPlan {
  std::string dataset;
  std::string ilm_policy;  // empty: none
  fs::path assets;
  fs::path storage;  // service.storage.path: the outputs' state directories are under it
};

// Sets up the cluster of one elasticsearch output; throws SetupError.
void setup_output(const InstanceConfig& output, const SetupPlan& plan) {
  const std::string prefix = output.name + ": ";
  Cluster cluster(output, plan.storage / "outputs" / output.name);
  bool announced = false;
  auto request = [&](const std::string& method, const std::string& path,
                     const std::string& body = "") {
    HttpResponse r = cluster.request(method, path, body);
    if (!announced) std::cout << prefix << "using " << cluster.host() << "\n";
    announced = true;
    return r;
  };

  // The policy first: the template refers to it.
  if (!plan.ilm_policy.empty()) {
    std::string path = "/_ilm/policy/" + plan.ilm_policy;
    HttpResponse r = request("GET", path);
    if (r.status == 200) {
      std::cout << prefix << "found ILM policy " << plan.ilm_policy << " (left as is)\n";
    } else if (r.status == 404) {
      std::string body = compact(load_asset(plan.assets / kIlmFile, plan.dataset));
      HttpResponse put = request("PUT", path, body);
      if (put.status != 200) fail(cluster, "PUT", path, put);
      std::cout << prefix << "created ILM policy " << plan.ilm_policy << "\n";
    } else {
      fail(cluster, "GET", path, r);
    }
  }

  std::vector<std::string> components;
  for (std::string_view c : kComponents) {
    std::string path = "/_component_template/" + std::string(c);
    HttpResponse r = request("GET", path);
    if (r.status == 200) {
      components.emplace_back(c);
    } else if (r.status == 404) {
      std::cout << prefix << "component template " << c
                << " not found: the index template does without it\n";
    } else {
      fail(cluster, "GET", path, r);
    }
  }

  std::string name = "auditrelay-logs-" + plan.dataset;
  std::string hash;
  std::string body = build_template(load_asset(plan.assets / kTemplateFile, plan.dataset),
                                    components, plan.ilm_policy, hash);
  std::string path = "/_index_template/" + name;
  HttpResponse r = request("GET", path);
  if (r.status != 200 && r.status != 404) fail(cluster, "GET", path, r);
  if (r.status == 200 && installed_hash(r.body, name) == hash) {
    std::cout << prefix << "found index template " << name << " (up to date)\n";
    return;
  }
  HttpResponse put = request("PUT", path, body);
  if (put.status != 200) fail(cluster, "PUT", path, put);
  if (r.status == 404) {
    std::cout << prefix << "created index template " << name << " for logs-" << plan.dataset
              << "-*\n";
  } else {
    std::cout << prefix << "updated index template " << name << "\n";
  }
}

// ILM policy names end up in a URL path and in index settings: Elasticsearch's rules (no
// leading '_', no spaces, commas, quotes or wildcards), kept to a plain character set.
bool valid_policy_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name[0] == '_' || name[0] == '-') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '@';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

int setup_command(const SetupArgs& args) {
  if (!args.ilm_policy.empty() && !valid_policy_name(args.ilm_policy)) {
    std::cerr << "auditrelay: setup: --ilm-policy '" << args.ilm_policy
              << "' is not a valid policy name (letters, digits, _ - . @; not starting with _ "
                 "or -)\n";
    return kExitUsage;
  }
  SetupPlan plan;
  std::vector<const InstanceConfig*> outputs;
  PipelineConfig config;
  try {
    config = load_config(args.config_file, make_config_schema(builtin_plugins()));
    Engine::validate(config, builtin_plugins());
  } catch (const ConfigError& e) {
    // As `check` reports it.
    std::cerr << "auditrelay: invalid configuration\n  " << e.what() << "\n";
    return kExitFailure;
  }
  plan.dataset = config.pipeline.section("normalize").string("dataset");
  plan.ilm_policy = args.ilm_policy;
  plan.storage = config.service.section("storage").string("path");

  for (const InstanceConfig& output : config.outputs) {
    if (output.type != "elasticsearch") continue;
    if (output.settings.has("index")) {
      std::cout << output.name << ": skipped: it writes to the classic index '"
                << output.settings.string("index")
                << "', and setup installs data stream templates only\n";
      continue;
    }
    outputs.push_back(&output);
  }
  if (outputs.empty()) {
    std::cerr << "auditrelay: setup: " << args.config_file
              << " has no elasticsearch output that writes to data streams: nothing to set up\n";
    return kExitFailure;
  }
  try {
    plan.assets = find_assets(args.assets_dir);
  } catch (const SetupError& e) {
    std::cerr << "auditrelay: setup: " << e.what() << "\n";
    return kExitFailure;
  }

  int code = kExitOk;
  for (const InstanceConfig* output : outputs) {
    try {
      setup_output(*output, plan);
    } catch (const SetupError& e) {
      std::cerr << "auditrelay: setup: output '" << output->name << "': " << e.what() << "\n";
      code = kExitFailure;
    }
  }
  return code;
}

}  // namespace auditrelay::cli
