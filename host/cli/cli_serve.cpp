// relais serve: the service, in the foreground (systemd runs it as Type=notify: READY=1 once
// the API listens).
//
// SIGTERM or SIGINT: stop accepting, let requests in flight finish within the configured
// grace period, exit 0. SIGHUP: rescan the plugin directory (as POST /api/v1/plugins/reload),
// between RELOADING=1 and READY=1.
#include "cli/cli.hpp"
#include "cli/cli_args.hpp"

#include "config/host_config.hpp"
#include "observability/logging.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/service.hpp"
#include "runtime/systemd_notify.hpp"

#include <Poco/Logger.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace po = boost::program_options;

namespace relais::cli {
namespace {

Poco::Logger &logger() { return Poco::Logger::get("relais.service"); }

host::LogSettings log_settings(const host::LogConfig &log) {
    host::LogSettings s;
    s.format = log.format == host::LogFormat::json ? "json" : "text";
    s.level = log.level;
    s.levels = log.levels;
    return s;
}

// Blocks the signals the service handles in every thread; the main thread waits for them.
sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

class PidFile {
public:
    explicit PidFile(std::string path) : path_(std::move(path)) {
        if (path_.empty()) return;
        std::ofstream out(path_, std::ios::trunc);
        if (!(out << ::getpid() << "\n")) throw std::runtime_error("cannot write the pid file " + path_);
    }
    ~PidFile() {
        if (!path_.empty()) std::remove(path_.c_str());
    }

private:
    std::string path_;
};

}  // namespace

int serve_command(const GlobalOptions &global, const std::vector<std::string> &args) {
    Subcommand sub{"relais serve [--config FILE] [--address ADDR] [--port N] [--data-dir DIR] [--pid-file FILE]"};
    sub.options.add_options()("config,c", po::value<std::string>()->default_value(""),
                              "configuration file (JSON); without one, embedded defaults")(
        "address", po::value<std::string>(), "listen address (overrides host.listen.address)")(
        "port", po::value<unsigned>(), "listen port, 0 for any free one (overrides host.listen.port)")(
        "data-dir", po::value<std::string>(), "data directory (overrides host.data_dir)")(
        "pid-file", po::value<std::string>()->default_value(""), "write the process id to this file");
    auto vm = parse_args(sub, args);
    if (!vm) return kExitOk;

    // Before any thread exists, so that every thread inherits the mask.
    const sigset_t signals = handled_signals();

    const auto env = host::process_environment();
    const auto config_path = (*vm)["config"].as<std::string>();
    host::LoadedConfig config;
    try {
        config = config_path.empty() ? host::default_config(env) : host::load_config(config_path, env);
    } catch (const host::ConfigError &e) {
        std::cerr << "relais serve: the configuration is invalid:\n";
        for (const auto &p : e.problems()) std::cerr << "  " << p << "\n";
        return e.file_unreadable() ? kExitFailure : 3;
    }
    if (vm->count("address")) config.host.listen.address = (*vm)["address"].as<std::string>();
    if (vm->count("port")) {
        const auto port = (*vm)["port"].as<unsigned>();
        if (port > 65535) throw UsageError("--port must be 0..65535");
        config.host.listen.port = static_cast<uint16_t>(port);
    }
    if (vm->count("data-dir")) config.host.data_dir = std::filesystem::absolute((*vm)["data-dir"].as<std::string>());
    std::filesystem::create_directories(config.host.data_dir);

    host::Service service(std::move(config), global.plugin_dir);
    host::configure_logging(log_settings(service.config().host.log), service.redactor());
    PidFile pid_file((*vm)["pid-file"].as<std::string>());
    service.start();
    host::notify_ready("listening on " + service.url());

    for (;;) {
        int signal = 0;
        if (sigwait(&signals, &signal) != 0) continue;
        if (signal == SIGHUP) {
            logger().information("SIGHUP: reloading plugins");
            host::notify_reloading();
            service.reload();
            host::notify_ready("listening on " + service.url());
            continue;
        }
        logger().information(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT"));
        break;
    }
    host::notify_stopping();
    if (!service.stop()) {
        // Threads are still inside plugin calls that cannot be interrupted: leave without
        // running destructors under them.
        logger().warning("exiting with requests still running");
        std::cout.flush();
        std::_Exit(0);
    }
    logger().information("stopped");
    return kExitOk;
}

}  // namespace relais::cli
