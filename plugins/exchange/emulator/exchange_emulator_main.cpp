// exchange-emulator: the Exchange emulator on its own (EWS, the token endpoint and Graph over
// the same calendars), to try the connector by hand without a tenant.
//
//   exchange-emulator [--port N] [--tls-dir DIR] [--user U --password P] [--client-id ID]
//                     [--client-secret S] [--mailbox ADDRESS]... [--latency-ms MS]
//
// Plain HTTP on 127.0.0.1 unless --tls-dir is given: then HTTPS, with a test CA written into
// DIR (give DIR/ca.pem as the connector's ca_file). --mailbox replaces the default mailboxes
// (alice@, bob@ and svc-relais@contoso.com). Runs until SIGINT or SIGTERM.
#include "exchange_emulator.hpp"
#include "standalone.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>

using namespace relais;

namespace {

int usage(const std::string &why) {
    std::cerr << "exchange-emulator: " << why << "\n"
              << "usage: exchange-emulator [--port N] [--tls-dir DIR] [--user U --password P] [--client-id ID]\n"
              << "                         [--client-secret S] [--mailbox ADDRESS]... [--latency-ms MS]\n";
    return 2;
}

}  // namespace

int main(int argc, char **argv) {
    exchange_emulator::ExchangeEmulatorOptions options;
    auto account = options.accounts.front();
    auto application = options.applications.front();
    std::vector<exchange_emulator::Mailbox> mailboxes;
    std::filesystem::path tls_dir;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") return usage("the Exchange (EWS and Microsoft Graph) emulator");
            if (i + 1 >= argc) return usage("missing value after " + arg);
            const std::string value = argv[++i];
            if (arg == "--port")
                options.server.port = static_cast<Poco::UInt16>(std::stoi(value));
            else if (arg == "--tls-dir")
                tls_dir = value;
            else if (arg == "--user")
                account.user = value;
            else if (arg == "--password")
                account.password = value;
            else if (arg == "--client-id")
                application.client_id = value;
            else if (arg == "--client-secret")
                application.client_secret = value;
            else if (arg == "--mailbox")
                mailboxes.push_back({value, value.substr(0, value.find('@'))});
            else if (arg == "--latency-ms")
                options.latency = std::chrono::milliseconds(std::stoi(value));
            else
                return usage("unknown option " + arg);
        }
    } catch (const std::exception &) {
        return usage("a number was expected");
    }
    options.accounts = {account};
    options.applications = {application};
    if (!mailboxes.empty()) {
        if (std::none_of(mailboxes.begin(), mailboxes.end(),
                         [&](const auto &m) { return m.address == account.mailbox; }))
            mailboxes.push_back({account.mailbox, "Relais service"});
        options.mailboxes = mailboxes;
    }

    emulator::TerminationSignals signals;  // before any server thread starts
    const auto ca = emulator::serve_tls_from(tls_dir, options.server);
    exchange_emulator::ExchangeEmulator emulator(options);
    emulator.start();
    const auto &tenant = options.tenants.front();
    std::cout << "Exchange emulator listening\n"
              << "  ews_url        " << emulator.ews_url() << "\n"
              << "  user           " << options.ews.ntlm_domain << "\\" << account.user << " (Basic or NTLM)\n"
              << "  password       " << account.password << "\n"
              << "  graph_url      " << emulator.graph_url() << "\n"
              << "  token_url      " << emulator.token_url(tenant.id) << "\n"
              << "  tenant_id      " << tenant.id << "\n"
              << "  client_id      " << application.client_id << "\n"
              << "  client_secret  " << application.client_secret << "\n"
              << "  mailboxes     ";
    for (const auto &m : options.mailboxes) std::cout << " " << m.address;
    std::cout << "\n";
    if (ca) std::cout << "  ca_file        " << std::filesystem::absolute(ca->ca_file()).string() << "\n";
    std::cout << std::flush;
    signals.wait();
    emulator.stop();
    return 0;
}
