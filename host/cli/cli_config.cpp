// relais config check FILE: everything `relais serve` would refuse in a configuration file,
// found without starting the service: the host section, then each connector's section against
// its plugin's schema and the plugin's own configure().
#include "cli/cli.hpp"
#include "cli/cli_args.hpp"

#include "config/connector_settings.hpp"
#include "plugins/error_class.hpp"
#include "config/host_config.hpp"
#include "config/json_schema.hpp"
#include "plugins/plugin_registry.hpp"
#include "config/settings_store.hpp"

#include <Poco/JSON/Stringifier.h>

#include <iostream>
#include <sstream>

namespace po = boost::program_options;

namespace relais::cli {
namespace {

using Poco::JSON::Object;

constexpr const char *kUsage = "relais config check FILE";

std::string plural(std::size_t count, const std::string &noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// The values of a plugin's secret settings (declared "secret": true) in `settings`, so that no
// problem line can show them even when a plugin's message quotes one.
void add_declared_secrets(const host::PluginDescriptor &plugin, const Object::Ptr &settings,
                          std::vector<std::string> &secrets) {
    for (const std::string &pointer : host::JsonSchema::parse(plugin.settings_schema).secret_paths()) {
        Poco::Dynamic::Var at = settings;
        std::istringstream segments(pointer.substr(pointer.empty() ? 0 : 1));
        for (std::string key; !pointer.empty() && std::getline(segments, key, '/');) {
            const Object::Ptr object = at.type() == typeid(Object::Ptr) ? at.extract<Object::Ptr>() : nullptr;
            at = object && object->has(key) ? object->get(key) : Poco::Dynamic::Var();
        }
        if (at.isString() && !at.extract<std::string>().empty()) secrets.push_back(at.extract<std::string>());
    }
}

// Why a plugin for `name` is missing: a library of that name the registry refused, if any.
std::string refusal_of(const host::PluginRegistry &registry, const std::string &name) {
    for (const auto &r : registry.refusals())
        if (std::filesystem::path(r.file).stem() == name) return " (" + r.line() + ")";
    return "";
}

// Problems of one connector's section, each line naming the file, the connector and the key.
std::vector<std::string> check_connector(const std::string &label, const host::PluginRegistry &registry,
                                         const std::filesystem::path &plugin_dir, const std::string &name,
                                         const Object::Ptr &section, std::vector<std::string> &secrets) {
    const std::string prefix = label + ": connectors." + name + ": ";
    const host::LoadedPlugin *plugin = registry.find(name);
    if (!plugin)
        return {prefix + "no plugin named " + name + " in " + plugin_dir.string() + refusal_of(registry, name)};
    const auto &descriptor = plugin->lib->descriptor();
    add_declared_secrets(descriptor, section, secrets);
    Object::Ptr settings;
    try {
        settings = host::resolve_settings(descriptor, section);
    } catch (const host::SettingsError &e) {
        std::vector<std::string> problems;
        for (const auto &problem : e.problems()) problems.push_back(prefix + problem);
        return problems;
    }
    // The schema cannot say everything ("client_id is required when enabled is true"): the
    // plugin's configure() has the last word, as it will in the service.
    std::ostringstream text;
    Poco::JSON::Stringifier::condense(settings, text);
    const auto result = plugin->instance->configure(text.str());
    if (!result.ok())
        return {prefix + "refused by the plugin (" + std::string(host::status_name(result.status)) +
                "): " + result.message};
    return {};
}

// Connectors whose settings saved through the API replace the file's section in the service.
void print_persisted(const host::LoadedConfig &config) {
    try {
        const host::SettingsStore store(config.host.data_dir);
        for (const auto &[name, settings] : store.load_all())
            std::cout << "note: connectors." << name << ": the settings saved through the API in "
                      << (store.directory() / (name + ".json")).string()
                      << " replace the file's section when the service runs\n";
    } catch (const std::exception &e) {
        std::cerr << "warning: " << e.what() << "\n";
    }
}

int check(const GlobalOptions &global, const std::vector<std::string> &args) {
    Subcommand sub{kUsage};
    sub.options.add_options()("file", po::value<std::string>()->required(), "configuration file (JSON)");
    sub.positional.add("file", 1);
    auto vm = parse_args(sub, args);
    if (!vm) return kExitOk;
    const auto file = (*vm)["file"].as<std::string>();

    host::LoadedConfig config;
    try {
        config = host::load_config(file, host::process_environment());
    } catch (const host::ConfigError &e) {
        for (const auto &problem : e.problems()) std::cerr << problem << "\n";
        if (e.file_unreadable()) return kExitFailure;
        std::cerr << "configuration INVALID: " << plural(e.problems().size(), "problem")
                  << " (the connector sections are checked against their plugins once these are fixed)\n";
        return host::exit_code_for(RELAIS_INVALID_CONFIG);
    }

    const auto plugin_dir = config.host.plugin_dir.empty() ? global.plugin_dir : config.host.plugin_dir;
    const auto registry = host::PluginRegistry::scan(plugin_dir);
    auto secrets = config.secret_values;
    std::vector<std::string> problems;
    for (const auto &[name, section] : config.connectors) {
        auto found = check_connector(file, registry, plugin_dir, name, section, secrets);
        problems.insert(problems.end(), found.begin(), found.end());
    }
    // Libraries that no section names are not the configuration's fault, but worth knowing.
    for (const auto &r : registry.refusals())
        if (!config.connectors.count(std::filesystem::path(r.file).stem().string()))
            std::cerr << "warning: plugin library refused: " << host::redact(r.line(), secrets) << "\n";

    if (!problems.empty()) {
        for (const auto &problem : problems) std::cerr << host::redact(problem, secrets) << "\n";
        std::cerr << "configuration INVALID: " << plural(problems.size(), "problem") << "\n";
        return host::exit_code_for(RELAIS_INVALID_CONFIG);
    }

    print_persisted(config);
    const auto &h = config.host;
    std::string connectors;
    for (const auto &[name, section] : config.connectors) connectors += (connectors.empty() ? "" : ", ") + name;
    std::ostringstream summary;
    summary << "configuration OK: " << file << ": listens on " << h.listen.address << ":" << h.listen.port
            << (h.tls ? " (TLS)" : " (plain HTTP)") << ", " << plural(h.tokens.size(), "API token") << ", "
            << plural(config.connectors.size(), "connector") << (connectors.empty() ? "" : " (" + connectors + ")")
            << ", plugins in " << plugin_dir.string() << ", data in " << h.data_dir.string();
    // Any of these may have come through a reference.
    std::cout << host::redact(summary.str(), secrets) << "\n";
    return kExitOk;
}

}  // namespace

int config_command(const GlobalOptions &global, const std::vector<std::string> &args) {
    if (args.empty()) throw UsageError(std::string("missing subcommand: check\nusage: ") + kUsage);
    const auto sub = args.front();
    if (sub == "check") return check(global, std::vector<std::string>(args.begin() + 1, args.end()));
    if (sub == "--help" || sub == "-h") {
        std::cout << "usage: " << kUsage << "\n";
        return kExitOk;
    }
    throw UsageError("unknown subcommand '" + sub + "': expected check\nusage: " + std::string(kUsage));
}

}  // namespace relais::cli
