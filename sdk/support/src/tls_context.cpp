#include "tls_context.hpp"

#include <relais/plugin.hpp>

#include <Poco/Net/SSLException.h>
#include <Poco/Net/NetSSL.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

namespace relais::support::detail {

namespace {

// Why the last handshake on each thread refused the certificate chain. A map under a mutex
// rather than a thread_local: this library is linked into plugins, and a thread_local in a
// library that is unloaded (dlclose on reload) leaves a stale thread-local block behind.
std::mutex g_verify_mutex;
std::map<std::thread::id, std::string> g_verify_errors;

// Replaces the callback Poco installs, which asks the process-wide SSLManager whether to
// accept a certificate that failed verification: with our own, a failure is final whatever
// handlers other code installed there. It only records why, for the error message.
int verify_callback(int ok, X509_STORE_CTX *store) {
    if (ok) return ok;
    std::string why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
    if (const X509 *cert = X509_STORE_CTX_get_current_cert(store)) {
        char subject[256] = {0};
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject) - 1);
        why += std::string(" (certificate ") + subject + ")";
    }
    std::lock_guard lock(g_verify_mutex);
    g_verify_errors.try_emplace(std::this_thread::get_id(), std::move(why));  // the first reason is kept
    return ok;
}

}  // namespace

Poco::Net::Context::Ptr make_client_context(const HttpClientOptions &options) {
    if (!options.extra_ca_file.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(options.extra_ca_file, ec))
            throw relais::invalid_config("the CA file " + options.extra_ca_file + " does not exist or is not a file");
    }
    if (!options.trust_system_cas && options.extra_ca_file.empty())
        throw relais::invalid_config("TLS needs trusted CAs: the system's, an extra CA file, or both");

    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.loadDefaultCAs = options.trust_system_cas;
    params.caLocation = options.extra_ca_file;
    params.cipherList = "DEFAULT";
    try {
        Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        context->enableExtendedCertificateVerification(true);  // the host name check
        SSL_CTX_set_verify(context->sslContext(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &verify_callback);
        return context;
    } catch (const Poco::Exception &e) {
        Poco::Net::uninitializeSSL();
        throw relais::invalid_config("the TLS context cannot be set up" +
                                     (options.extra_ca_file.empty() ? std::string() : " with CA file " + options.extra_ca_file) +
                                     ": " + e.displayText());
    }
}

std::string take_verify_error() {
    std::lock_guard lock(g_verify_mutex);
    const auto it = g_verify_errors.find(std::this_thread::get_id());
    if (it == g_verify_errors.end()) return {};
    std::string error = std::move(it->second);
    g_verify_errors.erase(it);
    return error;
}

}  // namespace relais::support::detail
