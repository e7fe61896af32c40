// sirene-emulator: the API Sirene emulator on its own, to try the connector by hand (README,
// "Sirene connector") without an INSEE account.
//
//   sirene-emulator [--port N] [--key KEY] [--quota N] [--window-seconds S] [--tls-dir DIR]
//
// Plain HTTP on 127.0.0.1 unless --tls-dir is given: then HTTPS, with a test CA written into
// DIR (give DIR/ca.pem as the connector's ca_file). Runs until SIGINT or SIGTERM.
#include "sirene_emulator.hpp"
#include "standalone.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

using namespace relais;

namespace {

int usage(const char *why) {
    std::cerr << "sirene-emulator: " << why << "\n"
              << "usage: sirene-emulator [--port N] [--key KEY] [--quota N] [--window-seconds S] [--tls-dir DIR]\n";
    return 2;
}

}  // namespace

int main(int argc, char **argv) {
    sirene_emulator::SireneEmulatorOptions options;
    std::string key = "relais-test-key";
    std::filesystem::path tls_dir;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") return usage("the API Sirene 3.11 emulator");
            if (i + 1 >= argc) return usage(("missing value after " + arg).c_str());
            const std::string value = argv[++i];
            if (arg == "--port")
                options.server.port = static_cast<Poco::UInt16>(std::stoi(value));
            else if (arg == "--key")
                key = value;
            else if (arg == "--quota")
                options.requests_per_window = std::stoi(value);
            else if (arg == "--window-seconds")
                options.window = std::chrono::seconds(std::stoi(value));
            else if (arg == "--tls-dir")
                tls_dir = value;
            else
                return usage(("unknown option " + arg).c_str());
        }
    } catch (const std::exception &) {
        return usage("a number was expected");
    }
    options.api_keys = {key};

    emulator::TerminationSignals signals;  // before any server thread starts
    const auto ca = emulator::serve_tls_from(tls_dir, options.server);
    sirene_emulator::SireneEmulator emulator(options);
    emulator.start();
    std::cout << "API Sirene emulator listening\n"
              << "  base_url  " << emulator.base_url() << "\n"
              << "  api_key   " << key << "\n";
    if (ca) std::cout << "  ca_file   " << std::filesystem::absolute(ca->ca_file()).string() << "\n";
    std::cout << "  quota     " << options.requests_per_window << " requests per "
              << std::chrono::duration_cast<std::chrono::seconds>(options.window).count() << " s\n"
              << "  data      " << emulator.data().establishments().size() << " establishments, e.g. 39860733300059 "
              << "(recorded), 35600000049837 (La Poste)\n"
              << std::flush;
    signals.wait();
    emulator.stop();
    return 0;
}
