// relais plugins list | show
#include "cli/cli.hpp"
#include "cli/cli_args.hpp"

#include "plugins/plugin_registry.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <iomanip>
#include <set>
#include <sstream>
#include <iostream>

namespace po = boost::program_options;

namespace relais::cli {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr parse_object(const std::string &text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Object::Ptr>();
}

Object::Ptr plugin_summary(const host::PluginLibrary &lib) {
    Object::Ptr p = new Object;
    p->set("name", lib.descriptor().name);
    p->set("version", lib.descriptor().version);
    p->set("abi", lib.abi_version());
    p->set("file", lib.path().string());
    p->set("description", lib.descriptor().description);
    return p;
}

Object::Ptr plugin_details(const host::PluginLibrary &lib) {
    const auto &d = lib.descriptor();
    Object::Ptr p = plugin_summary(lib);
    p->set("settings_schema", parse_object(d.settings_schema));
    p->set("has_test", d.has_test);
    Array::Ptr actions = new Array;
    for (const auto &a : d.actions) {
        Object::Ptr action = new Object;
        action->set("name", a.name);
        action->set("description", a.description);
        action->set("input_schema", parse_object(a.input_schema));
        if (!a.output_schema.empty()) action->set("output_schema", parse_object(a.output_schema));
        actions->add(action);
    }
    p->set("actions", actions);
    Array::Ptr quotas = new Array;
    for (const auto &q : d.quotas) {
        Object::Ptr quota = new Object;
        quota->set("scope", q.scope);
        quota->set("per_second", q.per_second);
        quota->set("per_day", q.per_day);
        quotas->add(quota);
    }
    p->set("quotas", quotas);
    Array::Ptr tasks = new Array;
    for (const auto &t : d.periodic_tasks) {
        Object::Ptr task = new Object;
        task->set("name", t.name);
        task->set("action", t.action);
        task->set("interval_seconds", t.interval_seconds);
        task->set("start_delay_seconds", t.start_delay_seconds);
        tasks->add(task);
    }
    p->set("periodic_tasks", tasks);
    return p;
}

void print_refusals(const host::PluginRegistry &registry) {
    for (const auto &r : registry.refusals()) std::cerr << "refused: " << r.line() << "\n";
}

int list(const GlobalOptions &global, const std::vector<std::string> &args) {
    Subcommand sub{"relais plugins list [--json]"};
    sub.options.add_options()("json", "print JSON instead of a table");
    auto vm = parse_args(sub, args);
    if (!vm) return kExitOk;

    const auto registry = host::PluginRegistry::scan(global.plugin_dir);
    if (vm->count("json")) {
        Object::Ptr root = new Object;
        root->set("plugin_dir", global.plugin_dir.string());
        Array::Ptr plugins = new Array, refused = new Array;
        for (const auto &[name, p] : registry.plugins()) plugins->add(plugin_summary(*p.lib));
        for (const auto &r : registry.refusals()) {
            Object::Ptr o = new Object;
            o->set("file", r.file);
            o->set("reason", r.reason);
            refused->add(o);
        }
        root->set("plugins", plugins);
        root->set("refused", refused);
        Poco::JSON::Stringifier::stringify(root, std::cout, 2);
        std::cout << "\n";
        return kExitOk;
    }

    std::cout << std::left << std::setw(14) << "NAME" << std::setw(10) << "VERSION" << std::setw(5) << "ABI"
              << std::setw(22) << "FILE" << "DESCRIPTION\n";
    for (const auto &[name, p] : registry.plugins()) {
        const auto &d = p.lib->descriptor();
        std::cout << std::left << std::setw(14) << d.name << std::setw(10) << d.version << std::setw(5)
                  << p.lib->abi_version() << std::setw(22) << p.lib->path().filename().string()
                  << d.description << "\n";
    }
    if (registry.plugins().empty()) std::cout << "(no plugins in " << global.plugin_dir.string() << ")\n";
    print_refusals(registry);
    return kExitOk;
}

void print_settings(const std::string &schema_text) {
    const auto schema = parse_object(schema_text);
    const auto props = schema->getObject("properties");
    std::set<std::string> required;
    if (auto r = schema->getArray("required"))
        for (size_t i = 0; i < r->size(); ++i) required.insert(r->getElement<std::string>(i));
    std::cout << "settings:\n";
    if (!props || props->size() == 0) std::cout << "  (none)\n";
    if (!props) return;
    for (const auto &[key, value] : *props) {
        const auto prop = value.extract<Object::Ptr>();
        std::cout << "  " << std::left << std::setw(28) << key << std::setw(9)
                  << (prop->has("type") ? prop->get("type").toString() : "any");
        if (required.count(key)) std::cout << " required";
        if (prop->optValue<bool>("secret", false)) std::cout << " secret";
        if (prop->has("default")) {
            std::ostringstream d;
            Poco::JSON::Stringifier::condense(prop->get("default"), d);
            std::cout << " default " << d.str();
        }
        if (prop->has("description")) std::cout << "\n      " << prop->getValue<std::string>("description");
        std::cout << "\n";
    }
}

int show(const GlobalOptions &global, const std::vector<std::string> &args) {
    Subcommand sub{"relais plugins show NAME [--json]"};
    sub.options.add_options()("name", po::value<std::string>()->required(), "plugin name")("json", "print JSON");
    sub.positional.add("name", 1);
    auto vm = parse_args(sub, args);
    if (!vm) return kExitOk;

    const auto name = (*vm)["name"].as<std::string>();
    const auto registry = host::PluginRegistry::scan(global.plugin_dir);
    const auto *plugin = registry.find(name);
    if (!plugin) {
        std::cerr << "relais plugins show: no plugin named '" << name << "' in " << global.plugin_dir.string()
                  << "\n";
        print_refusals(registry);
        return kExitFailure;
    }
    const auto &lib = *plugin->lib;
    if (vm->count("json")) {
        Poco::JSON::Stringifier::stringify(plugin_details(lib), std::cout, 2);
        std::cout << "\n";
        return kExitOk;
    }
    const auto &d = lib.descriptor();
    std::cout << d.name << " " << d.version << " (ABI v" << lib.abi_version() << ")\n"
              << d.description << "\nfile: " << lib.path().string() << "\n"
              << "connection test: " << (d.has_test ? "yes" : "no") << "\n\n";
    print_settings(d.settings_schema);
    std::cout << "\nactions:\n";
    if (d.actions.empty()) std::cout << "  (none yet)\n";
    for (const auto &a : d.actions) std::cout << "  " << std::left << std::setw(20) << a.name << a.description << "\n";
    for (const auto &q : d.quotas)
        std::cout << "\nquota " << q.scope << ": " << q.per_second << "/s, " << q.per_day << "/day\n";
    for (const auto &t : d.periodic_tasks)
        std::cout << "\nperiodic task " << t.name << ": action " << t.action << " every " << t.interval_seconds
                  << " s, first after " << t.start_delay_seconds << " s\n";
    return kExitOk;
}

}  // namespace

int plugins_command(const GlobalOptions &global, const std::vector<std::string> &args) {
    if (args.empty()) throw UsageError("missing subcommand: list or show\nusage: relais plugins list|show ...");
    const auto sub = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "list") return list(global, rest);
    if (sub == "show") return show(global, rest);
    if (sub == "--help" || sub == "-h") {
        std::cout << "usage: relais plugins list [--json]\n       relais plugins show NAME [--json]\n";
        return kExitOk;
    }
    throw UsageError("unknown subcommand '" + sub + "': expected list or show");
}

}  // namespace relais::cli
