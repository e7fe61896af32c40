// relais test | exec: load one plugin, configure it from a configuration file, run it.
#include "cli/cli.hpp"
#include "cli/cli_args.hpp"

#include "config/connector_settings.hpp"
#include "plugins/error_class.hpp"
#include "config/host_config.hpp"
#include "config/json_schema.hpp"
#include "plugins/plugin_registry.hpp"
#include "config/redactor.hpp"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace po = boost::program_options;

namespace relais::cli {
namespace {

using Poco::JSON::Object;

std::string read_file(const std::string &path, const std::string &what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + what + " " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The connector's section of a configuration file (connectors.<name>), with its secret
// references resolved and the environment's overrides applied, as `relais serve` reads it.
Object::Ptr connector_section(const GlobalOptions &global, const std::string &config_path, const std::string &name) {
    if (config_path.empty()) return nullptr;
    host::LoadedConfig config;
    try {
        config = host::load_config(config_path, host::process_environment());
    } catch (const host::ConfigError &e) {
        throw std::runtime_error("configuration file " + config_path + " is invalid:\n  " +
                                 global.redactor->apply(e.what()));
    }
    global.redactor->add_all(config.secret_values);
    const auto it = config.connectors.find(name);
    if (it == config.connectors.end()) {
        std::cerr << "relais: " << config_path << " has no section connectors." << name << "; using defaults\n";
        return nullptr;
    }
    return it->second;
}

// Finds, loads and configures the plugin. On failure prints why and returns the exit code.
struct Prepared {
    host::PluginRegistry registry;
    const host::LoadedPlugin *plugin = nullptr;
    int exit_code = kExitOk;
};

Prepared prepare(const GlobalOptions &global, const std::string &name, const std::string &config_path) {
    Prepared p{host::PluginRegistry::scan(global.plugin_dir)};
    p.plugin = p.registry.find(name);
    if (!p.plugin) {
        std::cerr << "relais: no plugin named '" << name << "' in " << global.plugin_dir.string() << "\n";
        for (const auto &r : p.registry.refusals()) std::cerr << "refused: " << r.line() << "\n";
        p.exit_code = kExitFailure;
        return p;
    }
    Object::Ptr settings;
    try {
        settings = host::resolve_settings(p.plugin->lib->descriptor(), connector_section(global, config_path, name));
    } catch (const host::SettingsError &e) {
        std::cerr << "relais: connector " << name << " has invalid settings"
                  << (config_path.empty() ? "" : " in " + config_path) << ":\n";
        for (const auto &problem : e.problems()) std::cerr << "  " << problem << "\n";
        p.exit_code = host::exit_code_for(RELAIS_INVALID_CONFIG);
        return p;
    }
    global.redactor->add_all(
        host::secret_values(host::JsonSchema::parse(p.plugin->lib->descriptor().settings_schema), settings));
    std::ostringstream text;
    Poco::JSON::Stringifier::condense(settings, text);
    const auto result = p.plugin->instance->configure(text.str());
    if (!result.ok()) {
        std::cerr << "relais: connector " << name << " refused its settings (" << host::status_name(result.status)
                  << "): " << global.redactor->apply(result.message) << "\n";
        p.exit_code = host::exit_code_for(result.status);
    }
    return p;
}

void print_error(const host::CallResult &r, const host::Redactor &redactor) {
    std::cerr << "error (" << host::status_name(r.status) << "): " << redactor.apply(r.message) << "\n";
    if (!r.detail_json.empty()) std::cerr << "detail: " << redactor.apply(r.detail_json) << "\n";
    if (r.retry_after_ms) std::cerr << "retry after: " << r.retry_after_ms << " ms\n";
}

}  // namespace

int test_command(const GlobalOptions &global, const std::vector<std::string> &args) {
    Subcommand sub{"relais test NAME [--config FILE]"};
    sub.options.add_options()("name", po::value<std::string>()->required(), "plugin name")(
        "config,c", po::value<std::string>()->default_value(""), "configuration file (JSON)");
    sub.positional.add("name", 1);
    auto vm = parse_args(sub, args);
    if (!vm) return kExitOk;
    const auto name = (*vm)["name"].as<std::string>();

    auto p = prepare(global, name, (*vm)["config"].as<std::string>());
    if (p.exit_code != kExitOk) return p.exit_code;

    const auto r = p.plugin->instance->test();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.duration).count();
    if (r.status == RELAIS_UNSUPPORTED) {
        std::cout << name << ": configuration accepted; this plugin has no connection test\n";
        return host::exit_code_for(r.status);
    }
    try {
        Poco::JSON::Parser parser;
        const auto steps = parser.parse(r.body).extract<Object::Ptr>()->getArray("steps");
        for (size_t i = 0; steps && i < steps->size(); ++i) {
            const auto step = steps->getObject(i);
            std::cout << (step->optValue<bool>("ok", false) ? "  ok    " : "  FAIL  ")
                      << step->optValue<std::string>("name", "?") << ": "
                      << step->optValue<std::string>("message", "") << "\n";
        }
    } catch (const std::exception &) {
        std::cout << "  (the plugin's step report is not valid JSON)\n";
    }
    if (r.ok()) {
        std::cout << name << ": connection test passed (" << ms << " ms)\n";
        return kExitOk;
    }
    std::cout << name << ": connection test FAILED (" << ms << " ms)\n";
    print_error(r, *global.redactor);
    return host::exit_code_for(r.status);
}

int exec_command(const GlobalOptions &global, const std::vector<std::string> &args) {
    Subcommand sub{"relais exec NAME ACTION [--config FILE] [--input JSON|@FILE]"};
    sub.options.add_options()("name", po::value<std::string>()->required(), "plugin name")(
        "action", po::value<std::string>()->required(), "action name")(
        "config,c", po::value<std::string>()->default_value(""), "configuration file (JSON)")(
        "input,i", po::value<std::string>()->default_value("{}"), "input JSON, or @FILE to read it from a file");
    sub.positional.add("name", 1).add("action", 1);
    auto vm = parse_args(sub, args);
    if (!vm) return kExitOk;
    const auto name = (*vm)["name"].as<std::string>();
    const auto action_name = (*vm)["action"].as<std::string>();
    auto input = (*vm)["input"].as<std::string>();
    if (!input.empty() && input[0] == '@') input = read_file(input.substr(1), "input file");

    auto p = prepare(global, name, (*vm)["config"].as<std::string>());
    if (p.exit_code != kExitOk) return p.exit_code;

    const auto *action = p.plugin->lib->descriptor().find_action(action_name);
    if (!action) {
        std::cerr << "relais: plugin " << name << " has no action '" << action_name << "'";
        const auto &actions = p.plugin->lib->descriptor().actions;
        for (size_t i = 0; i < actions.size(); ++i) std::cerr << (i ? ", " : " (actions: ") << actions[i].name;
        std::cerr << (actions.empty() ? " (it has no actions yet)\n" : ")\n");
        return host::exit_code_for(RELAIS_UNSUPPORTED);
    }
    try {
        host::check_action_input(*action, input);
    } catch (const std::invalid_argument &e) {
        std::cerr << "error (invalid_input): " << e.what() << "\n";
        return host::exit_code_for(RELAIS_INVALID_INPUT);
    }
    const auto r = p.plugin->instance->execute(action_name, input, "cli");
    if (!r.ok()) {
        print_error(r, *global.redactor);
        return host::exit_code_for(r.status);
    }
    std::cout << global.redactor->apply(r.body) << "\n";
    return kExitOk;
}

}  // namespace relais::cli
