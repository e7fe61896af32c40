#include "runtime/connector_manager.hpp"

#include "config/connector_settings.hpp"
#include "plugins/error_class.hpp"
#include "observability/metrics.hpp"
#include "config/redactor.hpp"
#include "config/settings_store.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>

#include <sstream>

namespace relais::host {
namespace {

using Poco::JSON::Object;

Poco::Logger &logger() { return Poco::Logger::get("relais.connectors"); }

std::string to_text(const Object::Ptr &o) {
    std::ostringstream s;
    o->stringify(s);
    return s.str();
}

std::string iso_now() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
}

std::string describe(const PluginLibrary &lib) {
    return lib.descriptor().name + " " + lib.descriptor().version + " (" + lib.path().filename().string() + ")";
}

}  // namespace

std::string_view state_name(Connector::State state) {
    switch (state) {
    case Connector::State::configured: return "configured";
    case Connector::State::disabled: return "disabled";
    case Connector::State::invalid_config: return "invalid_config";
    }
    return "invalid_config";
}

Object::Ptr Connector::redacted_settings() const {
    return redact_secrets(*settings_schema, settings ? settings : source);
}

ConnectorManager::ConnectorManager(Options options) : options_(std::move(options)) {
    // Copies from a previous run are never in use by this process.
    std::error_code ec;
    if (!options_.shadow_dir.empty()) std::filesystem::remove_all(options_.shadow_dir, ec);
}

ConnectorManager::~ConnectorManager() = default;

ReloadReport ConnectorManager::start() { return rescan(true); }
ReloadReport ConnectorManager::reload() { return rescan(false); }

ConnectorManager::Source ConnectorManager::initial_source(const std::string &name) const {
    Source source;
    if (options_.store) {
        if (auto saved = options_.store->load(name)) {
            if (!options_.resolve_saved) {
                source.settings = saved;
                return source;
            }
            try {
                auto resolved = options_.resolve_saved(name, saved);
                if (options_.redactor) options_.redactor->add_all(resolved.secret_values);
                source.settings = resolved.values;
                source.references = std::move(resolved.references);
            } catch (const ConfigError &e) {
                source.problems = e.problems();
            }
            return source;
        }
    }
    const auto it = options_.configured.find(name);
    if (it != options_.configured.end()) source.settings = it->second;
    if (const auto refs = options_.references.find(name); refs != options_.references.end())
        source.references = refs->second;
    return source;
}

void ConnectorManager::learn_secrets(const Connector &c) const {
    if (!options_.redactor || !c.settings) return;
    for (const auto &value : secret_values(*c.settings_schema, c.settings))
        if (!value.empty() && !options_.redactor->add(value))
            logger().warning("connector " + c.name() + ": a secret setting is too short to be redacted by value");
}

std::shared_ptr<Connector> ConnectorManager::configure_new(const LoadedPlugin &plugin, const Source &from) {
    const auto &source = from.settings;
    auto c = std::make_shared<Connector>();
    c->plugin = plugin;
    const auto &d = plugin.lib->descriptor();
    c->settings_schema = std::make_shared<const JsonSchema>(JsonSchema::parse(d.settings_schema));
    for (const auto &a : d.actions)
        c->action_schemas[a.name] = std::make_shared<const JsonSchema>(JsonSchema::parse(a.input_schema));
    c->source = source;
    c->references = from.references;
    if (!from.problems.empty()) {
        c->problems = from.problems;
        return c;
    }
    try {
        c->settings = resolve_settings(d, source);
    } catch (const SettingsError &e) {
        c->problems = e.problems();
        return c;
    }
    learn_secrets(*c);
    const auto result = plugin.instance->configure(to_text(c->settings));
    if (!result.ok()) {
        c->problems = {result.message};
        c->settings = nullptr;
        return c;
    }
    if (!result.body.empty()) {
        try {
            Poco::JSON::Parser parser;
            c->adjustments = parser.parse(result.body).extract<Object::Ptr>();
        } catch (const std::exception &) {
            logger().warning("connector " + d.name + ": configure returned a document that is not a JSON object");
        }
    }
    c->state = c->settings->optValue<bool>("enabled", true) ? Connector::State::configured : Connector::State::disabled;
    return c;
}

ReloadReport ConnectorManager::rescan(bool first) {
    std::lock_guard<std::mutex> reload_lock(reload_mutex_);
    const auto current = [this] {
        std::lock_guard<std::mutex> lock(mutex_);
        return connectors_;
    }();

    ScanOptions scan_options;
    scan_options.shadow_dir = options_.shadow_dir;
    scan_options.backend = options_.backend;
    scan_options.metrics = options_.metrics;
    scan_options.reuse = [&current](const PluginManifest &m) -> const LoadedPlugin * {
        const auto it = current.find(m.name);
        if (it == current.end()) return nullptr;
        const auto &lib = *it->second->plugin.lib;
        return lib.manifest().sha256 == m.sha256 && lib.path().filename() == m.shared_object ? &it->second->plugin
                                                                                         : nullptr;
    };
    const auto registry = PluginRegistry::scan(options_.plugin_dir, scan_options);

    ReloadReport report;
    report.refused = registry.refusals();
    auto next = current;
    for (const auto &[name, plugin] : registry.plugins()) {
        const auto old = current.find(name);
        if (old != current.end() && old->second->plugin.instance == plugin.instance) {
            report.unchanged.push_back(describe(*plugin.lib));
            continue;
        }
        const auto source =
            old != current.end() ? Source{old->second->source, old->second->references, {}} : initial_source(name);
        auto c = configure_new(plugin, source);
        if (!first && old != current.end() && !c->problems.empty() && old->second->problems.empty()) {
            // The new version does not accept the settings the running one works with.
            std::string why;
            for (const auto &p : c->problems) why += (why.empty() ? "" : "; ") + p;
            report.refused.push_back({plugin.lib->path().filename().string(),
                                      "refused: the current settings of " + name + " are invalid for " +
                                          plugin.lib->descriptor().version + ": " + why + " (" +
                                          describe(*old->second->plugin.lib) + " keeps serving)"});
            continue;
        }
        report.loaded.push_back(describe(*plugin.lib));
        if (!c->problems.empty()) {
            std::string why;
            for (const auto &p : c->problems) why += (why.empty() ? "" : "; ") + p;
            logger().warning("connector " + name + " is not usable until its settings are fixed: " + why);
        }
        next[name] = std::move(c);
    }
    std::vector<std::shared_ptr<const Connector>> published;
    for (const auto &[name, c] : next) {
        const auto old = current.find(name);
        if (old == current.end() || old->second != c) published.push_back(c);
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        connectors_ = std::move(next);
    }
    if (options_.on_published)
        for (const auto &c : published) options_.on_published(*c);
    for (const auto &line : report.loaded) logger().information("loaded " + line);
    for (const auto &r : report.refused) logger().warning("refused " + r.line());
    return report;
}

std::vector<std::shared_ptr<const Connector>> ConnectorManager::connectors() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::shared_ptr<const Connector>> out;
    for (const auto &[name, c] : connectors_) out.push_back(c);
    return out;
}

std::shared_ptr<const Connector> ConnectorManager::find(const std::string &name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = connectors_.find(name);
    return it == connectors_.end() ? nullptr : it->second;
}

ReconfigureOutcome ConnectorManager::reconfigure(const std::string &name, Object::Ptr settings) {
    std::lock_guard<std::mutex> reload_lock(reload_mutex_);
    const auto current = find(name);
    if (!current) return {RELAIS_NOT_FOUND, {"no connector named " + name}};

    // Secrets shown as kRedactedValue keep their current value.
    const auto incoming = restore_redacted_secrets(*current->settings_schema, settings,
                                                   current->settings ? current->settings : current->source);

    auto next = std::make_shared<Connector>(*current);
    next->source = incoming;
    // Saved with its references: a value the admin did not change that came from ${env:X}
    // is written back as ${env:X}, so the secret stays out of the data directory.
    next->references.clear();
    Object::Ptr to_save = new Object(*incoming);
    for (const auto &[key, reference] : current->references) {
        if (!incoming->has(key) || !current->source || !current->source->has(key)) continue;
        const auto now = incoming->get(key);
        const auto before = current->source->get(key);
        if (now.isString() && before.isString() && now.extract<std::string>() == before.extract<std::string>()) {
            to_save->set(key, reference);
            next->references[key] = reference;
        }
    }
    try {
        next->settings = resolve_settings(current->plugin.lib->descriptor(), incoming);
    } catch (const SettingsError &e) {
        return {RELAIS_INVALID_CONFIG, e.problems()};
    }
    learn_secrets(*next);
    const auto result = current->plugin.instance->configure(to_text(next->settings));
    if (!result.ok()) return {result.status == RELAIS_OK ? RELAIS_INVALID_CONFIG : result.status, {result.message}};
    next->problems.clear();
    next->adjustments = nullptr;
    if (!result.body.empty()) {
        try {
            Poco::JSON::Parser parser;
            next->adjustments = parser.parse(result.body).extract<Object::Ptr>();
        } catch (const std::exception &) {
        }
    }
    next->state = next->settings->optValue<bool>("enabled", true) ? Connector::State::configured
                                                                   : Connector::State::disabled;
    if (options_.store) options_.store->save(name, to_save);
    std::shared_ptr<const Connector> published = next;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        connectors_[name] = std::move(next);
    }
    if (options_.on_published) options_.on_published(*published);
    logger().information("connector " + name + " reconfigured");
    return {};
}

CallResult ConnectorManager::execute(const Connector &c, const std::string &action, const std::string &input_json,
                                     const std::string &call_id, relais_call_ctx *call, const StepInput &step) {
    auto result = c.plugin.instance->execute(action, input_json, call_id, call, step);
    if (options_.metrics) options_.metrics->record_call(c.name(), action, status_name(result.status), result.duration);
    return result;
}

CallResult ConnectorManager::test(const Connector &c, relais_call_ctx *call) {
    auto result = c.plugin.instance->test(call);
    if (options_.metrics) options_.metrics->record_call(c.name(), "test", status_name(result.status), result.duration);
    std::lock_guard<std::mutex> lock(mutex_);
    tests_[c.name()] = TestRecord{result, iso_now()};
    return result;
}

std::optional<TestRecord> ConnectorManager::last_test(const std::string &name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = tests_.find(name);
    if (it == tests_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> ConnectorManager::unknown_sections() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const auto &[name, section] : options_.configured)
        if (!connectors_.count(name)) out.push_back(name);
    return out;
}

}  // namespace relais::host
