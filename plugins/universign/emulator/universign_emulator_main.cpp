// universign-emulator: the Universign emulator on its own, to try the connector by hand
// without a Universign account.
//
//   universign-emulator [--port N] [--tls-dir DIR] [--user U --password P] [--api-key K]
//                       [--sign-after-seconds S] [--push-url URL] [--webhook-url URL]
//
// --push-url is the XML-RPC push URL of the "default" profile (what Universign's staff set on
// an account), --webhook-url the REST webhook's: a host's status hook, its token in the query.
// Plain HTTP on 127.0.0.1 unless --tls-dir is given: then HTTPS, with a test CA written into
// DIR (give DIR/ca.pem as the connector's ca_file). Pushes due are sent every 100 ms. Runs
// until SIGINT or SIGTERM.
#include "standalone.hpp"
#include "universign_emulator.hpp"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

using namespace relais;

namespace {

int usage(const std::string &why) {
    std::cerr << "universign-emulator: " << why << "\n"
              << "usage: universign-emulator [--port N] [--tls-dir DIR] [--user U --password P] [--api-key K]\n"
              << "                           [--sign-after-seconds S] [--push-url URL] [--webhook-url URL]\n";
    return 2;
}

}  // namespace

int main(int argc, char **argv) {
    universign_emulator::UniversignEmulatorOptions options;
    universign_emulator::Account account = options.xmlrpc.accounts.front();
    std::string api_key = *options.rest.api_keys.begin();
    std::filesystem::path tls_dir;
    std::string push_url, webhook_url;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") return usage("the Universign XML-RPC and REST v1 emulator");
            if (i + 1 >= argc) return usage("missing value after " + arg);
            const std::string value = argv[++i];
            if (arg == "--port")
                options.server.port = static_cast<Poco::UInt16>(std::stoi(value));
            else if (arg == "--tls-dir")
                tls_dir = value;
            else if (arg == "--user")
                account.login = value;
            else if (arg == "--password")
                account.password = value;
            else if (arg == "--api-key")
                api_key = value;
            else if (arg == "--sign-after-seconds")
                options.sign_after = std::chrono::seconds(std::stoi(value));
            else if (arg == "--push-url")
                push_url = value;
            else if (arg == "--webhook-url")
                webhook_url = value;
            else
                return usage("unknown option " + arg);
        }
    } catch (const std::exception &) {
        return usage("a number was expected");
    }
    options.xmlrpc.accounts = {account};
    options.rest.api_keys = {api_key};

    emulator::TerminationSignals signals;  // before any server thread starts
    const auto ca = emulator::serve_tls_from(tls_dir, options.server);
    universign_emulator::UniversignEmulator emulator(options);
    if (!push_url.empty()) emulator.set_push_url("default", push_url);
    if (!webhook_url.empty()) emulator.set_webhook_url(webhook_url);
    emulator.start();
    std::cout << "Universign emulator listening\n"
              << "  xmlrpc_url  " << emulator.xmlrpc_url() << "\n"
              << "  user        " << account.login << "\n"
              << "  password    " << account.password << "\n"
              << "  rest_url    " << emulator.rest_url() << "\n"
              << "  api_key     " << api_key << "\n";
    if (!push_url.empty()) std::cout << "  push_url    " << push_url << "\n";
    if (!webhook_url.empty()) std::cout << "  webhook_url " << webhook_url << "\n";
    if (ca) std::cout << "  ca_file     " << std::filesystem::absolute(ca->ca_file()).string() << "\n";
    std::cout << "  signers act " << std::chrono::duration_cast<std::chrono::seconds>(options.sign_after).count()
              << " s after their turn (\"+refuse\", \"+fail\", \"+never\" in an email change that)\n"
              << std::flush;

    std::mutex mutex;
    std::condition_variable stopped;
    bool stopping = false;
    std::thread ticker([&] {
        std::unique_lock lock(mutex);
        while (!stopped.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping; })) {
            lock.unlock();
            emulator.deliver_due_pushes();
            lock.lock();
        }
    });
    signals.wait();
    {
        std::lock_guard lock(mutex);
        stopping = true;
    }
    stopped.notify_all();
    ticker.join();
    emulator.stop();
    return 0;
}
