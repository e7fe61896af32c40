// relais: the Relais integration host's single binary.
#include "cli/cli.hpp"
#include "plugins/plugin_registry.hpp"

#include <boost/program_options.hpp>

#include "observability/logging.hpp"
#include "config/redactor.hpp"

#include <iostream>

namespace po = boost::program_options;

namespace {

const char *kUsage = R"(usage: relais [--plugin-dir DIR] <command> [<args>]

commands:
  serve [--config FILE] [--port N]
                               run the service: HTTP API on 127.0.0.1:8080 by default
  jobs list|show|retry|cancel  the durable jobs of a data directory
  plugins list [--json]        list the plugins found, and the libraries refused
  plugins show NAME [--json]   a plugin's settings schema and actions
  test NAME [--config FILE]    configure a connector and run its connection test
  exec NAME ACTION [--config FILE] [--input JSON|@FILE]
                               run one action and print its result
  config check FILE            check a configuration file: host section, each connector's settings

Run 'relais <command> --help' for a command's options.
)";

// Log lines go to stderr so that stdout carries only results; secrets are redacted.
std::shared_ptr<relais::host::Redactor> setup_logging() {
    auto redactor = std::make_shared<relais::host::Redactor>();
    relais::host::LogSettings settings;
    settings.level = "warning";
    relais::host::configure_logging(settings, redactor, std::cerr);
    return redactor;
}

}  // namespace

int main(int argc, char **argv) {
    relais::cli::GlobalOptions global;
    global.redactor = setup_logging();
    std::string command;
    std::vector<std::string> rest;
    try {
        po::options_description options("global options");
        options.add_options()("help,h", "show this help")(
            "plugin-dir", po::value<std::string>(), "directory of plugin libraries (default: ../lib/relais/plugins "
                                                   "beside the binary, or $RELAIS_PLUGIN_DIR)")(
            "command", po::value<std::string>(), "command")("args", po::value<std::vector<std::string>>(), "args");
        po::positional_options_description positional;
        positional.add("command", 1).add("args", -1);
        po::variables_map vm;
        auto parsed = po::command_line_parser(argc, argv).options(options).positional(positional).allow_unregistered().run();
        po::store(parsed, vm);
        po::notify(vm);

        if (!vm.count("command")) {
            std::cout << kUsage;
            return vm.count("help") ? relais::cli::kExitOk : relais::cli::kExitUsage;
        }
        command = vm["command"].as<std::string>();
        rest = po::collect_unrecognized(parsed.options, po::include_positional);
        rest.erase(rest.begin());  // the command itself
        if (vm.count("help")) rest.push_back("--help");
        global.plugin_dir = vm.count("plugin-dir") ? std::filesystem::path(vm["plugin-dir"].as<std::string>())
                                                   : relais::host::default_plugin_directory();
    } catch (const po::error &e) {
        std::cerr << "relais: " << e.what() << "\n\n" << kUsage;
        return relais::cli::kExitUsage;
    }

    try {
        if (command == "plugins") return relais::cli::plugins_command(global, rest);
        if (command == "test") return relais::cli::test_command(global, rest);
        if (command == "exec") return relais::cli::exec_command(global, rest);
        if (command == "config") return relais::cli::config_command(global, rest);
        if (command == "serve") return relais::cli::serve_command(global, rest);
        if (command == "jobs") return relais::cli::jobs_command(global, rest);
        std::cerr << "relais: unknown command '" << command << "'\n\n" << kUsage;
        return relais::cli::kExitUsage;
    } catch (const relais::cli::UsageError &e) {
        std::cerr << "relais " << command << ": " << e.what() << "\n";
        return relais::cli::kExitUsage;
    } catch (const std::exception &e) {
        std::cerr << "relais " << command << ": " << e.what() << "\n";
        return relais::cli::kExitFailure;
    }
}
