// `auditrelay setup`: installs what the elasticsearch outputs' data streams need (an index
// template with our mappings, optionally an ILM policy) from packaging/elastic/, idempotently,
// through the same hosts, credentials and TLS settings as the running outputs.
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <uv.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/config/config.h"
#include "agent/core/config_schema.h"
#include "agent/core/engine.h"
#include "agent/delivery/delivery_settings.h"
#include "agent/delivery/http_client.h"
#include "plugins/out_elasticsearch/es_settings.h"

namespace auditrelay::cli {
namespace {

namespace fs = std::filesystem;
using delivery::HttpResponse;

constexpr std::string_view kTemplateFile = "index-template.json";
constexpr std::string_view kIlmFile = "ilm-policy.json";
// Elastic's built-in components (8.x), in the order the built-in `logs` template lists them:
// later ones win. Older or stripped clusters may lack them, so each is used only if present.
constexpr std::array<std::string_view, 2> kComponents{"logs@settings", "ecs@mappings"};

// A failure of one output's setup: the one-line message, already naming the host.
class SetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1)
    throw SetupError("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

// Where the JSON assets are: --assets, else the installed copy, else one next to the binary
// (a relocated install or a build tree), else the source tree this binary was built from.
fs::path find_assets(const std::string& override_dir) {
  std::vector<fs::path> candidates;
  if (!override_dir.empty()) {
    candidates.emplace_back(override_dir);
  } else {
    candidates.emplace_back("/usr/share/auditrelay/elastic");
    std::error_code ec;
    fs::path binary = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
      candidates.push_back(
          (binary.parent_path() / "../share/auditrelay/elastic").lexically_normal());
    candidates.emplace_back(AUDITRELAY_ELASTIC_ASSETS_DIR);
  }
  std::string tried;
  for (const fs::path& dir : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(dir / kTemplateFile, ec)) return dir;
    tried += (tried.empty() ? "" : ", ") + dir.string();
  }
  throw SetupError(std::string(kTemplateFile) + " not found in " + tried + " (use --assets DIR)");
}

// An asset with its placeholders filled in. Both values are safe inside JSON strings and
// URLs: the dataset was validated as a data stream name part, the version is digits and dots.
rapidjson::Document load_asset(const fs::path& file, const std::string& dataset) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw SetupError("cannot read " + file.string());
  std::string json =
      replace_all(replace_all(text.str(), "@DATASET@", dataset), "@VERSION@", AUDITRELAY_VERSION);
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw SetupError(file.string() + ": not a JSON object (at byte " +
                     std::to_string(doc.GetErrorOffset()) + ": " +
                     rapidjson::GetParseError_En(doc.GetParseError()) + ")");
  }
  return doc;
}

// Member `key` of `object`, created as an empty object when absent or not an object.
rapidjson::Value& object_member(rapidjson::Value& object, const char* key,
                                rapidjson::Document::AllocatorType& a) {
  if (!object.HasMember(key)) {
    object.AddMember(rapidjson::Value(key, a), rapidjson::Value(rapidjson::kObjectType), a);
  }
  rapidjson::Value& member = object[key];
  if (!member.IsObject()) member.SetObject();
  return member;
}

// The index template body: the asset with composed_of and the ILM policy filled in, and
// _meta.content_hash over all the rest. Elasticsearch hands a template back normalized
// (defaults added, settings rewritten), but _meta verbatim: the hash is what tells whether
// the installed template is ours as of this version and these options.
std::string build_template(rapidjson::Document doc, const std::vector<std::string>& components,
                           const std::string& ilm_policy, std::string& hash) {
  auto& a = doc.GetAllocator();
  rapidjson::Value composed(rapidjson::kArrayType);
  for (const std::string& c : components)
    composed.PushBack(rapidjson::Value(c.c_str(), a), a);
  if (doc.HasMember("composed_of")) doc.RemoveMember("composed_of");
  doc.AddMember("composed_of", composed, a);
  if (!ilm_policy.empty()) {
    rapidjson::Value& settings = object_member(object_member(doc, "template", a), "settings", a);
    rapidjson::Value& lifecycle =
        object_member(object_member(settings, "index", a), "lifecycle", a);
    if (lifecycle.HasMember("name")) lifecycle.RemoveMember("name");
    lifecycle.AddMember("name", rapidjson::Value(ilm_policy.c_str(), a), a);
  }
  rapidjson::Value& meta = object_member(doc, "_meta", a);
  if (meta.HasMember("content_hash")) meta.RemoveMember("content_hash");
  hash = "sha256:" + sha256_hex(compact(doc));
  meta.AddMember("content_hash", rapidjson::Value(hash.c_str(), a), a);
  return compact(doc);
}

// The content hash of the installed template in a GET /_index_template/<name> answer.
std::string installed_hash(const std::string& body, const std::string& name) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("index_templates") ||
      !doc["index_templates"].IsArray())
    return "";
  for (const auto& item : doc["index_templates"].GetArray()) {
    if (!item.IsObject() || !item.HasMember("name") || !item["name"].IsString() ||
        item["name"].GetString() != name || !item.HasMember("index_template"))
      continue;
    const auto& t = item["index_template"];
    if (t.IsObject() && t.HasMember("_meta") && t["_meta"].IsObject() &&
        t["_meta"].HasMember("content_hash") && t["_meta"]["content_hash"].IsString())
      return t["_meta"]["content_hash"].GetString();
  }
  return "";
}

// The output's headers for JSON requests: its credentials and extra headers, without the
// bulk body's Content-Type and Content-Encoding.
std::vector<std::string> json_headers(const Settings& settings) {
  std::vector<std::string> headers{"Content-Type: application/json"};
  for (const std::string& h : elasticsearch::request_headers(settings)) {
    std::string name = h.substr(0, h.find(':'));
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "content-type" && name != "content-encoding") headers.push_back(h);
  }
  return headers;
}

// Every secret of the output as it could come back in a message: the configured values and
// the header values derived from them (a Basic header decodes to the password).
std::vector<std::string> secrets_of(const Settings& settings,
                                    const std::vector<std::string>& headers) {
  std::vector<std::string> secrets;
  for (const auto& [key, entry] : settings.entries()) {
    if (!entry.secret) continue;
    if (const auto* s = std::get_if<std::string>(&entry.value)) secrets.push_back(*s);
    if (const auto* list = std::get_if<std::vector<std::string>>(&entry.value))
      secrets.insert(secrets.end(), list->begin(), list->end());
  }
  for (const std::string& h : headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || h.starts_with("Content-Type:")) continue;
    std::string value = h.substr(colon + 1);
    secrets.push_back(value);
    if (size_t space = value.rfind(' '); space != std::string::npos)
      secrets.push_back(value.substr(space + 1));  // the token of "ApiKey <token>"
  }
  return secrets;
}

// A URL for messages: without user:password@ (credentials may be written into hosts).
std::string display_url(std::string url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find('/', start);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at != std::string::npos && at >= start) url.erase(start, at + 1 - start);
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

// Elasticsearch's own explanation in an error answer ("type: reason"), else the body's start.
std::string es_reason(const std::string& body) {
  std::string reason;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error")) {
    const auto& e = doc["error"];
    if (e.IsString()) reason = e.GetString();
    if (e.IsObject() && e.HasMember("reason") && e["reason"].IsString()) {
      reason = e["reason"].GetString();
      if (e.HasMember("type") && e["type"].IsString())
        reason = std::string(e["type"].GetString()) + ": " + reason;
    }
  }
  if (reason.empty()) reason = body;
  for (char& c : reason)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (reason.size() > 300) reason = reason.substr(0, 300) + "...";
  return reason;
}

// One elasticsearch output's cluster, reached through the agent's own HTTP client on a
// private loop that runs until each answer is in. Requests go to the first host that answers.
class Cluster {
 public:
  Cluster(const InstanceConfig& output, const fs::path& state_dir)
      : hosts_(output.settings.strings("hosts")),
        headers_(json_headers(output.settings)),
        secrets_(secrets_of(output.settings, headers_)) {
    delivery::HttpClientOptions options =
        delivery::delivery_options(output.settings, state_dir).http;
    if (int rc = uv_loop_init(&loop_); rc != 0)
      throw SetupError(std::string("cannot start an event loop: ") + uv_strerror(rc));
    client_ = std::make_unique<delivery::HttpClient>(&loop_, std::move(options));
  }
  ~Cluster() {
    client_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);  // let the client's handles close
    uv_loop_close(&loop_);
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::string& host() const { return host_; }

  // Answers with any status; throws SetupError when no host answers.
  HttpResponse request(const std::string& method, const std::string& path,
                       const std::string& body = "") {
    if (!base_url_.empty()) {
      HttpResponse r = send(base_url_, method, path, body);
      if (r.status == 0)
        throw SetupError(host_ + ": no answer to " + method + " " + path + ": " + redact(r.error));
      return r;
    }
    std::string errors;
    for (const std::string& url : hosts_) {
      HttpResponse r = send(url, method, path, body);
      // 502-504: a proxy in front of a node that is down, as the output judges it too.
      if (r.status != 0 && r.status != 502 && r.status != 503 && r.status != 504) {
        base_url_ = url;
        host_ = display_url(url);
        return r;
      }
      errors += (errors.empty() ? "" : "; ") + display_url(url) + ": " +
                (r.status != 0 ? "answered " + std::to_string(r.status) : redact(r.error));
    }
    throw SetupError("no host answered (" + errors + ")");
  }

  // Replaces every secret of the output in `text` (a server's message could echo one).
  std::string redact(std::string text) const {
    for (const std::string& s : secrets_)
      if (s.size() >= 4) text = replace_all(std::move(text), s, "***");
    return text;
  }

 private:
  HttpResponse send(std::string url, const std::string& method, const std::string& path,
                    const std::string& body) {
    while (!url.empty() && url.back() == '/')
      url.pop_back();
    delivery::HttpRequest request;
    request.method = method;
    request.url = url + path;
    request.headers = headers_;
    if (method == "PUT") request.body = std::make_shared<const std::string>(body);
    HttpResponse response;
    bool done = false;
    client_->send(std::move(request), [&](HttpResponse r) {
      response = std::move(r);
      done = true;
    });
    while (!done) {
      // The client's timer or sockets keep the loop alive until the callback has run.
      if (uv_run(&loop_, UV_RUN_ONCE) == 0 && !done) {
        std::cerr << "auditrelay: broken invariant: the HTTP client stopped without answering "
                  << method << " " << display_url(url) << path << "\n";
        std::abort();
      }
    }
    return response;
  }

  std::vector<std::string> hosts_;
  std::vector<std::string> headers_;
  std::vector<std::string> secrets_;
  std::string base_url_;  // the host that answered first, as configured; empty until then
  std::string host_;      // the same for messages
  uv_loop_t loop_{};
  std::unique_ptr<delivery::HttpClient> client_;
};

// The message for an answer other than the expected ones.
[[noreturn]] void fail(const Cluster& cluster, const std::string& method, const std::string& path,
                       const HttpResponse& r) {
  std::string what = method + " " + path;
  std::string status = std::to_string(r.status);
  std::string reason = cluster.redact(es_reason(r.body));
  if (r.status == 401) {
    // Elasticsearch's reason would name the user; the hint is what helps.
    throw SetupError(cluster.host() + " refused the credentials (401 to " + what +
                     "): check the output's api_key, user/password or bearer");
  }
  if (r.status == 403) {
    std::string privilege = path.starts_with("/_ilm/") ? "manage_ilm" : "manage_index_templates";
    throw SetupError(cluster.host() + " denied " + what + " (403): the credentials need the " +
                     privilege + " cluster privilege (" + reason + ")");
  }
  if (r.status == 400) throw SetupError(cluster.host() + " rejected " + what + " (400): " + reason);
  throw SetupError(cluster.host() + " answered " + status + " to " + what + ": " + reason);
}

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
