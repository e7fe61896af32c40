#include "certificate_authority.hpp"

#include <Poco/Net/SSLManager.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace relais::emulator {

namespace {

template <auto Free> struct Deleter {
    template <typename T> void operator()(T *p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

[[noreturn]] void fail(const std::string &what) {
    std::string detail = "?";
    if (const auto code = ERR_get_error()) detail = ERR_error_string(code, nullptr);
    ERR_clear_error();
    throw std::runtime_error("test CA: " + what + ": " + detail);
}

void check(bool ok, const char *what) {
    if (!ok) fail(what);
}

KeyPtr make_key() {
    KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    check(key != nullptr, "generating an EC P-256 key");
    return key;
}

// issuer == nullptr: self-signed (the CA). Extensions are (NID, value) in openssl.cnf syntax.
CertPtr make_certificate(const std::string &common_name, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                         const std::vector<std::pair<int, const char *>> &extensions) {
    CertPtr cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), X509_VERSION_3), "setting version 3");

    // A random positive serial, so certificates from different test runs never collide.
    unsigned char serial[8];
    check(RAND_bytes(serial, sizeof serial) == 1, "random serial");
    serial[0] &= 0x7f;
    std::unique_ptr<BIGNUM, Deleter<BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
    check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())), "setting the serial");

    // An hour back tolerates clock skew between the test and whatever verifies.
    check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
    check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600) != nullptr, "notAfter");

    X509_NAME *name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char *>("Relais tests"), -1, -1, 0) &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                         reinterpret_cast<const unsigned char *>(common_name.c_str()), -1, -1, 0),
          "subject name");
    check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name), "issuer name");
    check(X509_set_pubkey(cert.get(), key), "public key");

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    for (const auto &[nid, value] : extensions) {
        ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
        check(ext && X509_add_ext(cert.get(), ext.get(), -1), value);
    }
    check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "signing");
    return cert;
}

void write_pem(const std::filesystem::path &path, X509 *cert, EVP_PKEY *key) {
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    check(bio != nullptr, "opening a PEM file for writing");
    if (cert) check(PEM_write_bio_X509(bio.get(), cert), "writing a certificate");
    if (key) check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "writing a key");
}

}  // namespace

void ensure_ssl_initialized() {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

TestCertificateAuthority::TestCertificateAuthority(const std::filesystem::path &dir)
    : ca_file_(dir / "ca.pem"), server_{dir / "server.pem", dir / "server-key.pem"} {
    const auto ca_key = make_key();
    const auto ca = make_certificate("Relais Test CA", ca_key.get(), nullptr, ca_key.get(),
                                     {{NID_basic_constraints, "critical,CA:TRUE"},
                                      {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                      {NID_subject_key_identifier, "hash"}});
    const auto server_key = make_key();
    const auto server = make_certificate("localhost", server_key.get(), ca.get(), ca_key.get(),
                                         {{NID_basic_constraints, "critical,CA:FALSE"},
                                          {NID_key_usage, "critical,digitalSignature"},
                                          {NID_ext_key_usage, "serverAuth"},
                                          {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                          {NID_subject_key_identifier, "hash"},
                                          {NID_authority_key_identifier, "keyid:always"}});
    write_pem(ca_file_, ca.get(), nullptr);
    write_pem(server_.certificate, server.get(), nullptr);
    write_pem(server_.private_key, nullptr, server_key.get());
}

Poco::Net::Context::Ptr TestCertificateAuthority::client_context() const {
    ensure_ssl_initialized();
    Poco::Net::Context::Params params;
    params.caLocation = ca_file_.string();
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.loadDefaultCAs = false;
    return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
}

}  // namespace relais::emulator
