// chorus-emulator: the Chorus Pro (PISTE) emulator on its own, to try the connector by hand
// without a PISTE account.
//
//   chorus-emulator [--port N] [--tls-dir DIR] [--processing-seconds S] [--quota-per-second N]
//                   [--quota-per-day N] [--token-lifetime S] [--no-result 20000|empty|400]
//                   [--unknown-flux-status 200|400]
//
// --no-result: how a search that finds nothing answers (200 + codeRetour 20000 by default, as
// documented; an empty list with codeRetour 0; or HTTP 400 + 20000). --unknown-flux-status: the
// HTTP status of consulterCRDetaille's codeRetour 20001 for an unknown flux.
//
// Plain HTTP on 127.0.0.1 unless --tls-dir is given: then HTTPS, with a test CA written into
// DIR (give DIR/ca.pem as the connector's ca_file). Runs until SIGINT or SIGTERM.
#include "chorus_emulator.hpp"
#include "standalone.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

using namespace relais;

namespace {

int usage(const char *why) {
    std::cerr << "chorus-emulator: " << why << "\n"
              << "usage: chorus-emulator [--port N] [--tls-dir DIR] [--processing-seconds S] [--quota-per-second N]\n"
              << "                       [--quota-per-day N] [--token-lifetime S] [--no-result 20000|empty|400]\n"
              << "                       [--unknown-flux-status 200|400]\n";
    return 2;
}

}  // namespace

int main(int argc, char **argv) {
    chorus_emulator::ChorusEmulatorOptions options;
    options.processing_delay = std::chrono::seconds(20);
    std::filesystem::path tls_dir;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") return usage("the Chorus Pro (PISTE) emulator");
            if (i + 1 >= argc) return usage(("missing value after " + arg).c_str());
            const std::string value = argv[++i];
            if (arg == "--port")
                options.server.port = static_cast<Poco::UInt16>(std::stoi(value));
            else if (arg == "--tls-dir")
                tls_dir = value;
            else if (arg == "--processing-seconds")
                options.processing_delay = std::chrono::seconds(std::stoi(value));
            else if (arg == "--quota-per-second")
                options.per_second = std::stoi(value);
            else if (arg == "--quota-per-day")
                options.per_day = std::stoi(value);
            else if (arg == "--token-lifetime")
                options.token_lifetime = std::chrono::seconds(std::stoi(value));
            else if (arg == "--no-result" && value == "20000")
                options.no_result = chorus_emulator::NoResultForm::code_20000;
            else if (arg == "--no-result" && value == "empty")
                options.no_result = chorus_emulator::NoResultForm::empty_list;
            else if (arg == "--no-result" && value == "400")
                options.no_result = chorus_emulator::NoResultForm::http_400_20000;
            else if (arg == "--unknown-flux-status" && (value == "200" || value == "400"))
                options.unknown_flux_as_400 = value == "400";
            else if (arg == "--no-result" || arg == "--unknown-flux-status")
                return usage(("unknown value " + value + " for " + arg).c_str());
            else
                return usage(("unknown option " + arg).c_str());
        }
    } catch (const std::exception &) {
        return usage("a number was expected");
    }

    emulator::TerminationSignals signals;  // before any server thread starts
    const auto ca = emulator::serve_tls_from(tls_dir, options.server);
    chorus_emulator::ChorusEmulator emulator(options);
    emulator.start();
    const auto &client = options.clients.front();
    const auto &account = options.accounts.front();
    std::cout << "Chorus Pro (PISTE) emulator listening\n"
              << "  api_url             " << emulator.api_url() << "\n"
              << "  oauth_url           " << emulator.oauth_url() << "\n"
              << "  client_id           " << client.client_id << "\n"
              << "  client_secret       " << client.client_secret << "\n"
              << "  technical_login     " << account.login << "\n"
              << "  technical_password  " << account.password << "\n";
    if (ca) std::cout << "  ca_file             " << std::filesystem::absolute(ca->ca_file()).string() << "\n";
    std::cout << "  processing          " << std::chrono::duration_cast<std::chrono::seconds>(options.processing_delay).count()
              << " s from deposit to IN_INTEGRE / IN_REJETE\n"
              << "  quota               " << options.per_second << " per second, " << options.per_day << " per day\n"
              << "  supplier            " << chorus_emulator::kSupplierSiret << " (the technical account's structure)\n"
              << "  buyers              " << chorus_emulator::kBuyerSiret << " (no requirement), "
              << chorus_emulator::kServiceCodeBuyerSiret << " (service code), "
              << chorus_emulator::kCommitmentBuyerSiret << " (commitment number)\n"
              << std::flush;
    signals.wait();
    emulator.stop();
    return 0;
}
