// The live set of connectors of a running host: each plugin loaded, configured from its
// settings, and replaced without a restart when a new version of its library is dropped in
// (reload) or when an administrator changes its settings (reconfigure).
//
// Every call works on an immutable Connector snapshot held by shared_ptr: a reload or a
// reconfigure publishes a new snapshot, calls in flight finish on the one they started
// with, and an old library is shut down and unloaded only when its last call returns.
#pragma once

#include "plugins/call_result.hpp"
#include "config/connector_settings.hpp"
#include "config/json_schema.hpp"
#include "config/host_config.hpp"
#include "plugins/plugin_registry.hpp"

#include <Poco/JSON/Object.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace relais::host {

class Redactor;
class SettingsStore;
class Metrics;
class PluginBackend;

struct Connector {
    enum class State { configured, disabled, invalid_config };

    LoadedPlugin plugin;
    std::shared_ptr<const JsonSchema> settings_schema;
    std::map<std::string, std::shared_ptr<const JsonSchema>> action_schemas;

    State state = State::invalid_config;
    std::vector<std::string> problems;          // why the settings are invalid
    Poco::JSON::Object::Ptr source;             // settings as given (config file, store or API)
    Poco::JSON::Object::Ptr settings;           // validated, defaults applied; null when invalid
    Poco::JSON::Object::Ptr adjustments;        // what configure returned (e.g. effective quotas)
    // Top-level settings whose value came from a ${env:}/${file:} reference, with it: saving
    // the settings writes the reference back when the value is unchanged.
    std::map<std::string, std::string> references;

    const std::string &name() const { return plugin.lib->descriptor().name; }
    // The effective settings with every secret replaced by kRedactedValue.
    Poco::JSON::Object::Ptr redacted_settings() const;
};

std::string_view state_name(Connector::State state);

struct TestRecord {
    CallResult result;
    std::string at;  // ISO 8601 UTC
};

struct ReloadReport {
    std::vector<std::string> loaded;    // "chorus 1.3.0 (chorus-1.3.0.so)": new or upgraded
    std::vector<std::string> unchanged;
    std::vector<Refusal> refused;
};

// Outcome of a settings change: empty problems means applied and persisted.
struct ReconfigureOutcome {
    relais_status status = RELAIS_OK;
    std::vector<std::string> problems;
};

class ConnectorManager {
public:
    struct Options {
        std::filesystem::path plugin_dir;
        std::filesystem::path shadow_dir;                                // private copies of loaded libraries
        std::map<std::string, Poco::JSON::Object::Ptr> configured;      // connectors.<name> of the config file
        std::map<std::string, std::map<std::string, std::string>> references;  // of those (LoadedConfig)
        // Resolves the references in settings saved through the API (see resolve_section);
        // none: saved settings are taken as they are.
        std::function<ResolvedSection(const std::string &name, const Poco::JSON::Object::Ptr &saved)> resolve_saved;
        std::shared_ptr<Redactor> redactor;                             // learns every secret value
        SettingsStore *store = nullptr;                                 // settings saved through the API
        Metrics *metrics = nullptr;
        PluginBackend *backend = nullptr;                               // jobs and state for the plugins
        // Told of every connector published (loaded, upgraded, reconfigured), outside any lock.
        std::function<void(const Connector &)> on_published;
    };

    explicit ConnectorManager(Options options);
    ~ConnectorManager();

    // Scans the plugin directory and loads, initialises and configures every plugin.
    ReloadReport start();
    // Rescans: loads what is new or changed beside what runs, re-applies each connector's
    // settings to its new version (re-validated against the new schema) and switches new
    // calls to it. A library that fails any step is refused and the running version keeps
    // serving. Connectors whose library disappeared keep serving until the next restart.
    ReloadReport reload();

    std::vector<std::shared_ptr<const Connector>> connectors() const;
    std::shared_ptr<const Connector> find(const std::string &name) const;

    // Validates, applies through configure, persists, then publishes. `settings` values equal
    // to kRedactedValue keep the current value of that secret (so a shown-then-edited
    // document can be sent back).
    ReconfigureOutcome reconfigure(const std::string &name, Poco::JSON::Object::Ptr settings);

    CallResult execute(const Connector &connector, const std::string &action, const std::string &input_json,
                       const std::string &call_id, relais_call_ctx *call = nullptr, const StepInput &step = {});
    CallResult test(const Connector &connector, relais_call_ctx *call = nullptr);
    std::optional<TestRecord> last_test(const std::string &name) const;

    // Sections of the configuration file naming no loaded plugin.
    std::vector<std::string> unknown_sections() const;

private:
    struct Source {
        Poco::JSON::Object::Ptr settings;
        std::map<std::string, std::string> references;
        std::vector<std::string> problems;  // the saved settings could not be resolved
    };
    std::shared_ptr<Connector> configure_new(const LoadedPlugin &plugin, const Source &source);
    Source initial_source(const std::string &name) const;
    void learn_secrets(const Connector &connector) const;
    ReloadReport rescan(bool first);

    Options options_;
    mutable std::mutex mutex_;  // guards the maps below; never held during a plugin call
    std::map<std::string, std::shared_ptr<const Connector>> connectors_;
    std::map<std::string, TestRecord> tests_;
    std::mutex reload_mutex_;   // one reload or reconfigure at a time
};

}  // namespace relais::host
