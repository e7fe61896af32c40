#include "standalone.hpp"

#include <pthread.h>

namespace relais::emulator {

TerminationSignals::TerminationSignals() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

int TerminationSignals::wait() {
    int received = 0;
    sigwait(&signals_, &received);
    return received;
}

std::unique_ptr<TestCertificateAuthority> serve_tls_from(const std::filesystem::path &dir, ServerOptions &server) {
    if (dir.empty()) return nullptr;
    std::filesystem::create_directories(dir);
    auto ca = std::make_unique<TestCertificateAuthority>(dir);
    server.tls = ca->server_files();
    return ca;
}

}  // namespace relais::emulator
