// HttpClient NTLM against an IIS-like emulator (ntlm_server.hpp): the handshake on one
// connection, the body applied once, the authenticated connection reused.
#include "emulator_server.hpp"
#include "ntlm_server.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

#include <mutex>

using namespace relais;
using namespace relais::support;
using namespace relais::emulator;

namespace {

// An EWS-like endpoint behind NTLM: it records each body it processes.
struct Exchange {
    NtlmVerifier ntlm{"CONTOSO"};
    EmulatorServer server;
    std::mutex mutex;
    std::vector<std::string> applied;  // bodies the application processed

    Exchange() {
        ntlm.add_account("alice", "Corr3ct-Horse");
        const auto handler = [this](const Request &r) {
            auto auth = ntlm.check(r);
            if (!auth.authenticated) return *auth.answer;
            std::lock_guard lock(mutex);
            applied.push_back(r.body);
            return Response::xml(200, "<ok user=\"" + auth.user + "\"/>");
        };
        server.route("POST", "/EWS/Exchange.asmx", handler);
        server.route("GET", "/EWS/Exchange.asmx", handler);
        server.start();
    }
    std::string url() const { return server.base_url() + "/EWS/Exchange.asmx"; }
    HttpClientOptions client(const std::string &user, const std::string &password) const {
        HttpClientOptions o;
        o.credentials = Credentials::ntlm(server.base_url(), user, password);
        return o;
    }
    std::size_t applied_count() {
        std::lock_guard lock(mutex);
        return applied.size();
    }
};

const std::string kSoap = R"(<soap:Envelope><soap:Body><CreateItem/></soap:Body></soap:Envelope>)";

HttpRequest soap_post(const std::string &url) {
    auto r = HttpRequest::post(url);
    r.body = kSoap;
    r.content_type = "text/xml; charset=utf-8";
    return r;
}

ClassifyOptions doing(std::string what) {
    ClassifyOptions o;
    o.what = std::move(what);
    return o;
}

}  // namespace

TEST_CASE("support ntlm: the right password passes, and the POST body reaches the application once", "[support][ntlm]") {
    Exchange ews;
    HttpClient http(ews.client("CONTOSO\\alice", "Corr3ct-Horse"));
    const auto r = http.send(soap_post(ews.url()));
    REQUIRE(r.status == 200);
    CHECK(r.body == R"(<ok user="CONTOSO\alice"/>)");
    CHECK(ews.applied == std::vector<std::string>{kSoap});
    CHECK(ews.ntlm.challenges_sent() == 1);
    CHECK(ews.ntlm.authentications() == 1);

    // On the wire: the negotiation with the method and path and no body, then the request.
    const auto seen = ews.server.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].body.empty());
    CHECK(seen[0].headers.get("Content-Length", "") == "0");
    CHECK(seen[0].status == 401);
    CHECK(seen[1].body == kSoap);
    CHECK(seen[1].status == 200);
    CHECK(http.connections_opened() == 1);  // one connection for the whole handshake
}

TEST_CASE("support ntlm: user@DOMAIN works as the down-level DOMAIN form does", "[support][ntlm]") {
    Exchange ews;
    HttpClient http(ews.client("alice@CONTOSO", "Corr3ct-Horse"));
    CHECK(http.send(HttpRequest::get(ews.url())).status == 200);
}

TEST_CASE("support ntlm: a wrong password is a 401 that says whose credentials, not the password", "[support][ntlm]") {
    Exchange ews;
    HttpClient http(ews.client("CONTOSO\\alice", "Wrong-Horse-77"));
    const auto r = http.send(soap_post(ews.url()));
    CHECK(r.status == 401);
    CHECK(ews.applied_count() == 0);
    CHECK_THAT(ews.ntlm.last_refusal(), Catch::Contains("wrong password for CONTOSO\\alice"));
    const auto c = classify(r, doing("Exchange CreateItem"));
    CHECK(c.status == RELAIS_UNAUTHORIZED);
    CHECK(c.applied == Classification::Applied::no);
    CHECK_THAT(c.message, Catch::Contains("the server refused the NTLM credentials of CONTOSO\\alice"));
    CHECK_THAT(c.message, !Catch::Contains("Wrong-Horse-77"));
    CHECK(ews.server.requests().size() == 2);  // no retry of a refused handshake
}

TEST_CASE("support ntlm: the authenticated connection serves later requests without a handshake", "[support][ntlm]") {
    Exchange ews;
    HttpClient http(ews.client("CONTOSO\\alice", "Corr3ct-Horse"));
    for (int i = 0; i < 3; ++i) REQUIRE(http.send(HttpRequest::get(ews.url())).status == 200);
    // A read-only SOAP call (FindItem) marked idempotent may take the same connection.
    REQUIRE(http.send(soap_post(ews.url()).mark_idempotent(true)).status == 200);
    CHECK(http.connections_opened() == 1);
    CHECK(ews.ntlm.authentications() == 1);
    CHECK(ews.server.requests().size() == 2 + 3);

    // A request that must not be repeated keeps to a fresh connection: its own handshake.
    REQUIRE(http.send(soap_post(ews.url())).status == 200);
    CHECK(http.connections_opened() == 2);
    CHECK(ews.ntlm.authentications() == 2);
    CHECK(ews.applied_count() == 5);
}

TEST_CASE("support ntlm: a connection the server no longer trusts does the handshake again, once, on itself", "[support][ntlm]") {
    Exchange ews;
    HttpClient http(ews.client("CONTOSO\\alice", "Corr3ct-Horse"));
    REQUIRE(http.send(HttpRequest::get(ews.url())).status == 200);
    ews.ntlm.forget_connections();
    ews.server.clear();
    CHECK(http.send(HttpRequest::get(ews.url())).status == 200);
    CHECK(http.connections_opened() == 1);
    CHECK(ews.ntlm.authentications() == 2);
    // Unauthenticated 401, NEGOTIATE, AUTHENTICATE.
    CHECK(ews.server.requests().size() == 3);
}

TEST_CASE("support ntlm: a server that does not ask for NTLM gets no body through the negotiation", "[support][ntlm]") {
    EmulatorServer open;
    std::vector<std::string> bodies;
    open.route("POST", "/deposit", [&](const Request &r) {
        bodies.push_back(r.body);
        return Response::json(200, R"({"ok":true})");
    });
    open.start();
    HttpClientOptions options;
    options.credentials = Credentials::ntlm(open.base_url(), "CONTOSO\\alice", "pw");
    HttpClient http(options);
    try {
        http.send(HttpRequest::post(open.base_url() + "/deposit").form({{"amount", "10"}}));
        FAIL("sent");
    } catch (const TransportError &e) {
        CHECK_FALSE(e.request_sent());
        CHECK_THAT(e.what(), Catch::Contains("instead of a challenge"));
        CHECK(classify(e).applied == Classification::Applied::no);
    }
    CHECK(bodies == std::vector<std::string>{""});  // the negotiation only, never the body
}
