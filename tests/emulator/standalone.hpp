// What an emulator run as a program (for the demo and for trying a connector by hand) needs
// besides the emulator itself: HTTPS with a test CA written where the connector can read it,
// and a clean stop on SIGINT or SIGTERM.
#pragma once

#include "certificate_authority.hpp"
#include "emulator_server.hpp"

#include <csignal>
#include <filesystem>
#include <memory>

namespace relais::emulator {

// Blocks SIGINT and SIGTERM for every thread started afterwards, so that wait() receives them:
// construct it before any server thread starts.
class TerminationSignals {
public:
    TerminationSignals();
    // Returns the signal received.
    int wait();

private:
    sigset_t signals_;
};

// A test CA in `dir` (created if needed) and `server` set to serve HTTPS with it; null (and
// plain HTTP) when `dir` is empty.
std::unique_ptr<TestCertificateAuthority> serve_tls_from(const std::filesystem::path &dir, ServerOptions &server);

}  // namespace relais::emulator
