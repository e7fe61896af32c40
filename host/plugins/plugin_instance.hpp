// One live instance of a plugin: init'ed with the host services, then configured, tested
// and executed. Calls are safe from many threads; the library stays loaded as long as an
// instance of it exists.
#pragma once

#include "plugins/call_result.hpp"
#include "plugins/plugin_library.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

struct relais_host_ctx;
struct relais_call_ctx;

namespace relais::host {

class PluginBackend;
class Metrics;

class PluginInstance {
public:
    // Runs the plugin's init. Throws LoadError when init fails. `backend` (may be null) serves
    // the plugin's jobs and state, `metrics` (may be null) keeps its metrics; both must outlive
    // the instance.
    static std::shared_ptr<PluginInstance> create(std::shared_ptr<const PluginLibrary> library,
                                                  PluginBackend *backend = nullptr, Metrics *metrics = nullptr);
    ~PluginInstance();

    PluginInstance(const PluginInstance &) = delete;
    PluginInstance &operator=(const PluginInstance &) = delete;

    const PluginLibrary &library() const { return *library_; }
    const PluginDescriptor &descriptor() const { return library_->descriptor(); }

    CallResult configure(const std::string &settings_json);
    // `call` (may be null) answers the plugin's per-call services: quota, cancellation, deadline.
    CallResult test(relais_call_ctx *call = nullptr);
    // `step` says whether this is a job step (then the plugin may continue later) and what
    // the previous step left.
    CallResult execute(const std::string &action, const std::string &input_json, const std::string &call_id,
                       relais_call_ctx *call = nullptr, const StepInput &step = {});

    // One request to one of the plugin's webhooks (relais_plugin_api.handle_webhook); an
    // unsupported status when the plugin has no handler.
    struct WebhookCall {
        std::string hook, method, path_suffix, query, body, remote_address;
        std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
    };
    CallResult handle_webhook(const WebhookCall &request);

private:
    PluginInstance(std::shared_ptr<const PluginLibrary> library, PluginBackend *backend, Metrics *metrics);

    std::shared_ptr<const PluginLibrary> library_;
    std::unique_ptr<relais_host_ctx> host_ctx_;
    relais_plugin_instance *instance_ = nullptr;
};

}  // namespace relais::host
