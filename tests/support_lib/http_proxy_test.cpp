// HttpClient through a forward proxy (forward_proxy.hpp): plain HTTP in absolute form, HTTPS
// in a CONNECT tunnel with the target's certificate still verified, proxy credentials from
// the proxy URL, and no_proxy.
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "emulator_server.hpp"
#include "forward_proxy.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

using namespace relais;
using namespace relais::support;
using namespace relais::emulator;

namespace {

Handler pong() {
    return [](const Request &r) {
        return Response::json(200, R"({"pong":true,"auth":")" + r.header("Authorization").value_or("") + "\"}");
    };
}

HttpClientOptions via(const std::string &proxy_url, std::vector<std::string> no_proxy = {}) {
    HttpClientOptions o;
    o.proxy.url = proxy_url;
    o.proxy.no_proxy = std::move(no_proxy);
    return o;
}

}  // namespace

TEST_CASE("support proxy: plain HTTP goes through the proxy in absolute form", "[support][proxy]") {
    ForwardProxy proxy;
    proxy.start();
    EmulatorServer server;
    server.route("GET", "/ping", pong());
    server.start();

    HttpClient http(via(proxy.url()));
    for (int i = 0; i < 2; ++i) CHECK(http.send(HttpRequest::get(server.base_url() + "/ping?x=1")).status == 200);
    CHECK(proxy.forwarded() == 2);
    REQUIRE(proxy.seen().size() == 2);
    CHECK(proxy.seen()[0].request_line == "GET " + server.base_url() + "/ping?x=1 HTTP/1.1");
    CHECK_FALSE(proxy.seen()[0].headers.has("Proxy-Authorization"));
    CHECK(server.count("GET", "/ping") == 2);
}

TEST_CASE("support proxy: the proxy URL's user info is sent as Proxy-Authorization", "[support][proxy]") {
    ForwardProxy proxy({"corp\\bob", "p@ss:word"});
    proxy.start();
    EmulatorServer server;
    server.route("GET", "/ping", pong());
    server.start();

    HttpClient http(via("http://corp%5Cbob:p%40ss%3Aword@127.0.0.1:" + std::to_string(proxy.port())));
    const auto r = http.send(HttpRequest::get(server.base_url() + "/ping"));
    CHECK(r.status == 200);
    CHECK(proxy.refused() == 0);
    // The proxy's credentials stop at the proxy.
    CHECK(r.json()->getValue<std::string>("auth").empty());

    HttpClient wrong(via("http://corp%5Cbob:nope@127.0.0.1:" + std::to_string(proxy.port())));
    const auto refused = wrong.send(HttpRequest::get(server.base_url() + "/ping"));
    CHECK(refused.status == 407);
    const auto c = classify(refused);
    CHECK(c.status == RELAIS_INVALID_CONFIG);
    CHECK(c.applied == Classification::Applied::no);
    CHECK(server.count("GET", "/ping") == 1);
}

TEST_CASE("support proxy: HTTPS goes through a CONNECT tunnel, the target's certificate still verified", "[support][proxy]") {
    test::TempDir dir{"relais-support-proxy"};
    TestCertificateAuthority ca{dir.path()};
    ServerOptions tls;
    tls.tls = ca.server_files();
    EmulatorServer server(tls);
    server.route("GET", "/ping", pong());
    server.start();
    ForwardProxy proxy({"u", "pw"});
    proxy.start();

    auto options = via(proxy.url("u", "pw"));
    options.extra_ca_file = ca.ca_file().string();
    HttpClient http(options);
    CHECK(http.send(HttpRequest::get(server.base_url() + "/ping")).status == 200);
    CHECK(http.send(HttpRequest::get(server.base_url() + "/ping")).status == 200);
    CHECK(proxy.tunnels() == 1);  // the tunnel is a kept-alive connection like any other
    REQUIRE_FALSE(proxy.seen().empty());
    CHECK(proxy.seen()[0].request_line == "CONNECT localhost:" + std::to_string(server.port()) + " HTTP/1.1");

    // Without the test CA the tunnel opens, and the certificate is refused all the same.
    HttpClient untrusting(via(proxy.url("u", "pw")));
    try {
        untrusting.send(HttpRequest::get(server.base_url() + "/ping"));
        FAIL("an untrusted certificate passed through the tunnel");
    } catch (const TransportError &e) {
        CHECK(e.kind() == TransportError::Kind::tls_verification);
        CHECK_FALSE(e.request_sent());
    }
    CHECK(proxy.tunnels() == 2);

    // A tunnel the proxy refuses: nothing was sent, and the password is not in the message.
    HttpClient refused(via(proxy.url("u", "wrong-pw")));
    try {
        refused.send(HttpRequest::get(server.base_url() + "/ping"));
        FAIL("no tunnel, yet an answer");
    } catch (const TransportError &e) {
        CHECK(e.kind() == TransportError::Kind::connect_failed);
        CHECK_FALSE(e.request_sent());
        CHECK_THAT(e.what(), Catch::Contains("the proxy 127.0.0.1:" + std::to_string(proxy.port()) + " did not open a tunnel"));
        CHECK_THAT(e.what(), !Catch::Contains("wrong-pw"));
        CHECK(classify(e).applied == Classification::Applied::no);
    }
    CHECK(server.count("GET", "/ping") == 2);
}

TEST_CASE("support proxy: hosts in no_proxy are reached directly", "[support][proxy]") {
    ForwardProxy proxy;
    proxy.start();
    EmulatorServer server;
    server.route("GET", "/ping", pong());
    server.start();
    const auto by_name = "http://localhost:" + std::to_string(server.port()) + "/ping";
    const auto by_address = server.base_url() + "/ping";

    // An exact name, case-insensitive: that host direct, the others through the proxy.
    HttpClient some(via(proxy.url(), {"LocalHost"}));
    CHECK(some.send(HttpRequest::get(by_name)).status == 200);
    CHECK(proxy.forwarded() == 0);
    CHECK(some.send(HttpRequest::get(by_address)).status == 200);
    CHECK(proxy.forwarded() == 1);

    // An address, and "*" for every host.
    HttpClient address(via(proxy.url(), {"example.org", " 127.0.0.1 "}));
    CHECK(address.send(HttpRequest::get(by_address)).status == 200);
    HttpClient none(via(proxy.url(), {"*"}));
    CHECK(none.send(HttpRequest::get(by_name)).status == 200);
    CHECK(none.send(HttpRequest::get(by_address)).status == 200);
    CHECK(proxy.forwarded() == 1);
    CHECK(server.count("GET", "/ping") == 5);
}

TEST_CASE("support proxy: a bad proxy URL is invalid_config naming it, without its password", "[support][proxy]") {
    for (const std::string url : {"ftp://user:Secret-1@proxy.corp:21", "http://user:Secret-1@:3128", "proxy.corp:3128"}) {
        try {
            HttpClient http(via(url));
            FAIL("accepted " + url);
        } catch (const Error &e) {
            CHECK(e.status() == RELAIS_INVALID_CONFIG);
            CHECK_THAT(e.what(), Catch::Contains("the proxy URL"));
            CHECK_THAT(e.what(), !Catch::Contains("Secret-1"));
        }
    }
    try {
        HttpClient http(via("ftp://user:Secret-1@proxy.corp:21"));
    } catch (const Error &e) {
        CHECK_THAT(e.what(), Catch::Contains("ftp://***@proxy.corp:21"));
    }
}
