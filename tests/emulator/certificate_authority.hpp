// A certificate authority made at test time, so HTTPS emulators can be trusted by clients that
// keep certificate verification on, exactly as the connectors do in production.
#pragma once

#include <Poco/Net/Context.h>

#include <filesystem>

namespace relais::emulator {

struct TlsFiles {
    std::filesystem::path certificate;  // PEM
    std::filesystem::path private_key;  // PEM, unencrypted
};

class TestCertificateAuthority {
public:
    // Writes ca.pem (a CA:TRUE self-signed certificate), server.pem (signed by it, for
    // DNS:localhost and IP:127.0.0.1, serverAuth) and server-key.pem into `dir`, which the
    // caller owns. EC P-256 keys, valid from an hour ago for a week. Throws std::runtime_error.
    explicit TestCertificateAuthority(const std::filesystem::path &dir);

    const std::filesystem::path &ca_file() const { return ca_file_; }
    const TlsFiles &server_files() const { return server_; }
    // A client context that trusts ca.pem and nothing else, with strict verification (chain and
    // host name), as a connector under test should be configured.
    Poco::Net::Context::Ptr client_context() const;

private:
    std::filesystem::path ca_file_;
    TlsFiles server_;
};

// Poco::Net::initializeSSL(), once per process (Poco's NetSSL needs it before any Context).
void ensure_ssl_initialized();

}  // namespace relais::emulator
