// HttpClient over HTTPS: verification is always on; an extra CA file is how a private CA (or
// the emulators' test CA) is trusted, and nothing else makes an untrusted certificate pass.
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "emulator_server.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/SSLManager.h>

#include <fstream>

using namespace relais;
using namespace relais::support;
using namespace relais::emulator;

namespace {

struct TlsServer {
    test::TempDir dir{"relais-support-tls"};
    TestCertificateAuthority ca{dir.path()};
    EmulatorServer server{[&] {
        ServerOptions o;
        o.tls = ca.server_files();
        return o;
    }()};
    TlsServer() {
        server.route("GET", "/ping", [](const Request &) { return Response::json(200, R"({"pong":true})"); });
        server.start();
    }
};

HttpClientOptions trusting(const std::filesystem::path &ca_file) {
    HttpClientOptions o;
    o.extra_ca_file = ca_file.string();
    return o;
}

}  // namespace

TEST_CASE("support tls: a server whose CA is trusted through the extra CA file is reached", "[support][tls]") {
    TlsServer tls;
    HttpClient http(trusting(tls.ca.ca_file()));
    const auto r = http.send(HttpRequest::get(tls.server.base_url() + "/ping"));
    CHECK(r.status == 200);
    CHECK(r.body == R"({"pong":true})");
    // Also by address: the test certificate names 127.0.0.1 too.
    CHECK(http.send(HttpRequest::get("https://127.0.0.1:" + std::to_string(tls.server.port()) + "/ping")).status == 200);
    // And without the system CAs, the extra file alone is enough.
    auto only = trusting(tls.ca.ca_file());
    only.trust_system_cas = false;
    HttpClient pinned(only);
    CHECK(pinned.send(HttpRequest::get(tls.server.base_url() + "/ping")).status == 200);
}

TEST_CASE("support tls: an untrusted certificate fails verification with a clear message and no request", "[support][tls]") {
    TlsServer tls;
    HttpClient http;  // system CAs only
    try {
        http.send(HttpRequest::get(tls.server.base_url() + "/ping"));
        FAIL("connected to an untrusted server");
    } catch (const TransportError &e) {
        CHECK(e.kind() == TransportError::Kind::tls_verification);
        CHECK_THAT(e.what(), Catch::StartsWith("certificate verification failed for host localhost: "));
        CHECK_THAT(e.what(), Catch::Contains("unable to get local issuer certificate"));
        const auto c = classify(e, "Sirene test");
        CHECK(c.status == RELAIS_INVALID_CONFIG);
    }
    CHECK(tls.server.count("", "/") == 0);  // nothing was sent over the untrusted connection
}

TEST_CASE("support tls: a process-wide accept-all certificate handler does not weaken the client", "[support][tls]") {
    // Some code in the host process might install Poco's AcceptCertificateHandler globally;
    // the client verifies with its own callback, so the answer stays no.
    Poco::Net::initializeSSL();
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> accept_all = new Poco::Net::AcceptCertificateHandler(false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, accept_all, nullptr);
    TlsServer tls;
    HttpClient http;
    try {
        http.send(HttpRequest::get(tls.server.base_url() + "/ping"));
        FAIL("the global handler made the client accept an untrusted certificate");
    } catch (const TransportError &e) {
        CHECK(e.kind() == TransportError::Kind::tls_verification);
    }
    Poco::Net::uninitializeSSL();
}

TEST_CASE("support tls: a missing or unreadable CA file is an invalid configuration", "[support][tls]") {
    test::TempDir dir("relais-support-tls");
    try {
        HttpClient http(trusting(dir / "missing.pem"));
        FAIL("accepted");
    } catch (const Error &e) {
        CHECK(e.status() == RELAIS_INVALID_CONFIG);
        CHECK_THAT(e.what(), Catch::Contains("missing.pem does not exist"));
    }
    std::ofstream(dir / "garbage.pem") << "not a certificate\n";
    try {
        HttpClient http(trusting(dir / "garbage.pem"));
        FAIL("accepted");
    } catch (const Error &e) {
        CHECK(e.status() == RELAIS_INVALID_CONFIG);
        CHECK_THAT(e.what(), Catch::Contains("garbage.pem"));
    }
}

TEST_CASE("support tls: a server that does not answer within the read timeout is a timeout over TLS too",
          "[support][tls]") {
    TlsServer tls;
    auto options = trusting(tls.ca.ca_file());
    options.read_timeout = std::chrono::milliseconds(1000);
    HttpClient http(options);
    REQUIRE(http.send(HttpRequest::get(tls.server.base_url() + "/ping")).status == 200);  // handshake done
    tls.server.inject(Fault::hang(std::chrono::seconds(2)));
    const auto start = std::chrono::steady_clock::now();
    try {
        http.send(HttpRequest::get(tls.server.base_url() + "/ping"));
        FAIL("an answer came after the read timeout");
    } catch (const TransportError &e) {
        CHECK(e.kind() == TransportError::Kind::timeout);
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500));

    // On a new connection as well (a request that is not idempotent never reuses one).
    tls.server.route("POST", "/deposit", [](const Request &) { return Response::json(200, "{}"); });
    tls.server.inject(Fault::hang(std::chrono::seconds(2)));
    HttpClient fresh(options);
    const auto again = std::chrono::steady_clock::now();
    try {
        fresh.send(HttpRequest::post(tls.server.base_url() + "/deposit").json(Json(new Poco::JSON::Object)));
        FAIL("an answer came after the read timeout");
    } catch (const TransportError &e) {
        CHECK(e.kind() == TransportError::Kind::timeout);
    }
    CHECK(std::chrono::steady_clock::now() - again < std::chrono::milliseconds(1500));
}
