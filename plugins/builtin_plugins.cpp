// The one list of plugins compiled into auditrelay. Adding a plugin: a folder under plugins/,
// its sources in plugins/CMakeLists.txt, and one line here.
#include "agent/core/plugin_registry.h"
#include "plugins/in_http/in_http.h"
#include "plugins/in_tail/in_tail.h"
#include "plugins/out_elasticsearch/out_elasticsearch.h"
#include "plugins/out_file/out_file.h"
#include "plugins/out_splunk_hec/out_splunk_hec.h"
#include "plugins/out_stdout/out_stdout.h"
#include "plugins/out_webhook/out_webhook.h"

namespace auditrelay {

const PluginRegistry& builtin_plugins() {
  static const PluginRegistry registry = [] {
    PluginRegistry r;
    r.add(kTailInput);
    r.add(kHttpInput);
    r.add(kStdoutOutput);
    r.add(kFileOutput);
    r.add(kElasticsearchOutput);
    r.add(kSplunkHecOutput);
    r.add(kWebhookOutput);
    return r;
  }();
  return registry;
}

}  // namespace auditrelay
