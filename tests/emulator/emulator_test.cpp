// The emulator framework, seen from outside as a connector sees it: through Poco HTTP clients.
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "emulator_server.hpp"

#include <catch2/catch.hpp>

#include <Poco/Crypto/X509Certificate.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>

using namespace relais;
using namespace relais::emulator;
using namespace std::chrono_literals;

namespace {

struct Reply {
    int status = 0;
    Poco::Net::NameValueCollection headers;
    std::string body;
};

Reply call(Poco::Net::HTTPClientSession &session, const std::string &method, const std::string &uri,
           const std::string &body = "", const std::string &content_type = "",
           const Poco::Net::NameValueCollection &headers = {}) {
    Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto &[name, value] : headers) request.set(name, value);
    if (!body.empty() || !content_type.empty()) {
        request.setContentType(content_type);
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    auto &in = session.receiveResponse(response);
    Reply reply{response.getStatus(), response, {}};
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
}

// A plain HTTP client with its own connection; the timeout keeps a broken test from hanging.
Reply call(const EmulatorServer &server, const std::string &method, const std::string &uri,
           const std::string &body = "", const std::string &content_type = "",
           const Poco::Net::NameValueCollection &headers = {}, Poco::Timespan timeout = Poco::Timespan(5, 0)) {
    Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
    session.setTimeout(timeout);
    return call(session, method, uri, body, content_type, headers);
}

Poco::JSON::Object::Ptr parse(const std::string &body) {
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

// A fixed instant on a whole second, so tests know where the one-second windows start.
EmulatorClock::time_point monday_10am() {
    return std::chrono::sys_days(std::chrono::year(2024) / 1 / 15) + std::chrono::hours(10);
}

ServerOptions on_clock(std::shared_ptr<EmulatorClock> clock) {
    ServerOptions options;
    options.clock = std::move(clock);
    return options;
}

ServerOptions over_tls(const TestCertificateAuthority &ca) {
    ServerOptions options;
    options.tls = ca.server_files();
    return options;
}

Handler ok(std::string body = "{}") {
    return [body](const Request &) { return Response::json(200, body); };
}

}  // namespace

TEST_CASE("emulator: a handler gets path parameters, query, headers, body and form fields", "[emulator]") {
    EmulatorServer server;
    // Written on a server thread, read here after the answer: the mutex makes that visible to TSan.
    std::mutex mutex;
    Request seen;
    server.route("GET", "/siret/{siret}", [&](const Request &r) {
        std::lock_guard lock(mutex);
        seen = r;
        return Response::json(200, R"({"siret":")" + r.param("siret") + "\"}");
    });
    server.route("POST", "/api/oauth/token", [&](const Request &r) {
        std::lock_guard lock(mutex);
        seen = r;
        return Response::text(200, r.form_param("scope").value_or("none"));
    });
    server.start();
    REQUIRE(server.port() != 0);

    Poco::Net::NameValueCollection headers;
    headers.set("X-Correlation-Id", "c-42");
    auto reply = call(server, "GET", "/siret/12345678901234?champs=siren%2Cdate&q=a+b", "", "", headers);
    CHECK(reply.status == 200);
    CHECK(reply.headers.get("Content-Type") == "application/json");
    CHECK(parse(reply.body)->getValue<std::string>("siret") == "12345678901234");
    std::unique_lock lock(mutex);
    CHECK(seen.path == "/siret/12345678901234");
    CHECK(seen.query == "champs=siren%2Cdate&q=a+b");
    CHECK(seen.query_param("champs") == "siren,date");
    CHECK(seen.query_param("q") == "a b");
    CHECK_FALSE(seen.query_param("absent"));
    CHECK(seen.header("x-correlation-id") == "c-42");  // names are case-insensitive
    lock.unlock();

    reply = call(server, "POST", "/api/oauth/token", "grant_type=client_credentials&scope=openid+resource%2Fx",
                 "application/x-www-form-urlencoded");
    CHECK(reply.status == 200);
    CHECK(reply.body == "openid resource/x");
    lock.lock();
    CHECK(seen.form_param("grant_type") == "client_credentials");
    CHECK(seen.body == "grant_type=client_credentials&scope=openid+resource%2Fx");
}

TEST_CASE("emulator: the most specific route wins, whatever the order they were added in", "[emulator]") {
    EmulatorServer server;
    server.route("GET", "/factures/{id}", ok(R"({"route":"by id"})"));
    server.route("GET", "/factures/recherche", ok(R"({"route":"search"})"));
    server.start();
    CHECK(parse(call(server, "GET", "/factures/recherche").body)->getValue<std::string>("route") == "search");
    CHECK(parse(call(server, "GET", "/factures/F-1").body)->getValue<std::string>("route") == "by id");
}

TEST_CASE("emulator: an unknown path is a 404 and a known path with another method a 405, both JSON", "[emulator]") {
    EmulatorServer server;
    server.route("POST", "/cpro/factures/v1/deposer/flux", ok());
    server.route("PUT", "/cpro/factures/v1/deposer/flux", ok());
    server.start();

    auto reply = call(server, "GET", "/nowhere");
    CHECK(reply.status == 404);
    CHECK(parse(reply.body)->getValue<std::string>("error") == "not_found");

    reply = call(server, "GET", "/cpro/factures/v1/deposer/flux");
    CHECK(reply.status == 405);
    CHECK(reply.headers.get("Allow") == "POST, PUT");
    CHECK(parse(reply.body)->getValue<std::string>("error") == "method_not_allowed");
}

TEST_CASE("emulator: a handler that throws gets a 500 naming the exception, an HttpError its own answer", "[emulator]") {
    EmulatorServer server;
    server.route("GET", "/bug", [](const Request &) -> Response { throw std::logic_error("state machine broken"); });
    server.route("GET", "/refused", [](const Request &) -> Response {
        throw HttpError(error_response(403, "forbidden", "not your invoice"));
    });
    server.route("POST", "/json", [](const Request &r) { return Response::json(200, r.json()); });
    server.start();

    auto reply = call(server, "GET", "/bug");
    CHECK(reply.status == 500);
    CHECK_THAT(reply.body, Catch::Contains("std::logic_error: state machine broken"));
    CHECK_THAT(reply.body, Catch::Contains("GET /bug"));

    CHECK(call(server, "GET", "/refused").status == 403);

    // A client's bad JSON is the client's mistake: 400, not an emulator bug.
    reply = call(server, "POST", "/json", "{not json", "application/json");
    CHECK(reply.status == 400);
    CHECK(parse(reply.body)->getValue<std::string>("error") == "invalid_json");
    CHECK(call(server, "POST", "/json", "[1]", "application/json").status == 400);
    reply = call(server, "POST", "/json", R"({"a":1})", "application/json");
    CHECK(reply.status == 200);
    CHECK(reply.body == R"({"a":1})");
}

TEST_CASE("emulator: the test CA issues a CA:TRUE root and a localhost server certificate", "[emulator][tls]") {
    test::TempDir dir("relais-emulator");
    TestCertificateAuthority ca(dir.path());
    Poco::Crypto::X509Certificate root(ca.ca_file().string());
    Poco::Crypto::X509Certificate server(ca.server_files().certificate.string());
    CHECK(root.issuedBy(root));
    CHECK(server.issuedBy(root));
    CHECK_FALSE(root.issuedBy(server));
    std::string common_name;
    std::set<std::string> names;
    Poco::Net::X509Certificate(ca.server_files().certificate.string()).extractNames(common_name, names);
    CHECK(common_name == "localhost");
    CHECK(names.count("localhost") == 1);
    CHECK(std::filesystem::exists(ca.server_files().private_key));
}

TEST_CASE("emulator: over HTTPS a client trusting the test CA connects with strict verification", "[emulator][tls]") {
    test::TempDir dir("relais-emulator");
    TestCertificateAuthority ca(dir.path());
    EmulatorServer server(over_tls(ca));
    server.route("GET", "/ping", ok(R"({"pong":true})"));
    server.start();
    CHECK(server.base_url() == "https://localhost:" + std::to_string(server.port()));

    // By name (subjectAltName DNS) and by address (IP), as a connector may be configured either way.
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        INFO(host);
        Poco::Net::HTTPSClientSession session(host, server.port(), ca.client_context());
        session.setTimeout(Poco::Timespan(5, 0));
        const auto reply = call(session, "GET", "/ping");
        CHECK(reply.status == 200);
        CHECK(reply.body == R"({"pong":true})");
    }
    CHECK(server.count("GET", "/ping") == 2);
}

TEST_CASE("emulator: over HTTPS a client trusting only the system CAs refuses the certificate", "[emulator][tls]") {
    test::TempDir dir("relais-emulator");
    TestCertificateAuthority ca(dir.path());
    EmulatorServer server(over_tls(ca));
    server.route("GET", "/ping", ok());
    server.start();

    // An explicit Context, no SSLManager: with no invalid-certificate handler, failure is final.
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.loadDefaultCAs = true;
    Poco::Net::HTTPSClientSession session("localhost", server.port(),
                                          new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
    session.setTimeout(Poco::Timespan(5, 0));
    CHECK_THROWS_AS(call(session, "GET", "/ping"), Poco::Net::SSLException);
    CHECK(server.count("", "/") == 0);
}

TEST_CASE("emulator: the request log records each request and counts by route template or prefix", "[emulator]") {
    auto clock = std::make_shared<EmulatorClock>(monday_10am());
    EmulatorServer server(on_clock(clock));
    server.route("GET", "/siret/{siret}", ok());
    server.route("POST", "/siret/{siret}/notes", ok());
    server.start();

    Poco::Net::NameValueCollection headers;
    headers.set("Authorization", "Bearer t0k3n");
    call(server, "GET", "/siret/111?x=1", "", "", headers);
    clock->advance(2s);
    call(server, "GET", "/siret/222");
    call(server, "POST", "/siret/222/notes", "hello", "text/plain");
    call(server, "DELETE", "/siret/222");

    const auto log = server.requests();
    REQUIRE(log.size() == 4);
    CHECK(log[0].method == "GET");
    CHECK(log[0].path == "/siret/111");
    CHECK(log[0].query == "x=1");
    CHECK(log[0].route == "/siret/{siret}");
    CHECK(log[0].headers.get("authorization") == "Bearer t0k3n");
    CHECK(log[0].status == 200);
    CHECK(log[0].time == monday_10am());
    CHECK(log[1].time == monday_10am() + 2s);
    CHECK(log[2].body == "hello");
    CHECK(log[3].status == 405);

    CHECK(server.count("GET", "/siret/{siret}") == 2);
    CHECK(server.count("GET", "/siret") == 2);
    CHECK(server.count("", "/siret") == 4);
    CHECK(server.count("POST", "/siret/{siret}/notes") == 1);
    CHECK(server.count("", "/siret/222") == 3);
    CHECK(server.count("", "/sir") == 0);  // prefixes are whole segments
    CHECK(server.wait_for_count("GET", "/siret", 2, 0ms));
    CHECK_FALSE(server.wait_for_count("GET", "/siret", 3, 10ms));

    server.clear();
    CHECK(server.requests().empty());
    CHECK(server.count("", "") == 0);
}

TEST_CASE("emulator: a quota answers 429 with Retry-After per second and per day, on the emulator's clock",
          "[emulator][quota]") {
    auto clock = std::make_shared<EmulatorClock>(monday_10am());
    EmulatorServer server(on_clock(clock));
    server.route("GET", "/v3/siret/{siret}", ok());
    server.set_quota(2, 5);
    server.start();

    const auto status = [&] { return call(server, "GET", "/v3/siret/1").status; };
    CHECK(status() == 200);
    CHECK(status() == 200);
    auto reply = call(server, "GET", "/v3/siret/1");
    CHECK(reply.status == 429);
    CHECK(reply.headers.get("Retry-After") == "1");
    CHECK(parse(reply.body)->getValue<std::string>("error") == "quota_exceeded");

    clock->advance(1s);  // a new window; the refused request did not count
    CHECK(status() == 200);
    CHECK(status() == 200);
    CHECK(status() == 429);
    clock->advance(1500ms);
    CHECK(status() == 200);  // the day's fifth
    reply = call(server, "GET", "/v3/siret/1");
    CHECK(reply.status == 429);
    // 10:00:02.5 to midnight, rounded up.
    CHECK(reply.headers.get("Retry-After") == std::to_string(14 * 3600 - 2));
    clock->advance(14h);
    CHECK(status() == 200);

    // Every request received counts, refused ones too: the client sent them.
    CHECK(server.max_requests_in_one_second() == 3);
    CHECK(server.max_requests_in_one_second("/elsewhere") == 0);
}

TEST_CASE("emulator: quotas per route group, with the emulator's own over-quota answer", "[emulator][quota]") {
    auto clock = std::make_shared<EmulatorClock>(monday_10am());
    EmulatorServer server(on_clock(clock));
    server.route("POST", "/cpro/factures/v1/deposer/flux", ok());
    server.route("GET", "/cpro/structures/v1/rechercher", ok());
    server.set_quota(1, 0,
                     [](const Request &, const QuotaExceeded &exceeded) {
                         return Response::xml(503, "<fault>spike arrest</fault>")
                             .header("Retry-After", std::to_string(exceeded.retry_after.count()));
                     },
                     "/cpro/factures");
    server.start();

    CHECK(call(server, "POST", "/cpro/factures/v1/deposer/flux").status == 200);
    const auto reply = call(server, "POST", "/cpro/factures/v1/deposer/flux");
    CHECK(reply.status == 503);
    CHECK(reply.body == "<fault>spike arrest</fault>");
    CHECK(reply.headers.get("Content-Type") == "application/xml");
    // Another group is not limited.
    for (int i = 0; i < 3; ++i) CHECK(call(server, "GET", "/cpro/structures/v1/rechercher").status == 200);

    server.clear_quotas();
    CHECK(call(server, "POST", "/cpro/factures/v1/deposer/flux").status == 200);
}

TEST_CASE("emulator: the most requests in one second comes from the log's timestamps", "[emulator][quota]") {
    auto clock = std::make_shared<EmulatorClock>(monday_10am());
    EmulatorServer server(on_clock(clock));
    server.route("GET", "/a", ok());
    server.route("GET", "/b", ok());
    server.start();

    // Windows are fixed seconds: 10:00:00.9 and 10:00:01.0 fall in different ones.
    clock->advance(900ms);
    call(server, "GET", "/a");
    call(server, "GET", "/b");
    clock->advance(100ms);
    for (int i = 0; i < 3; ++i) call(server, "GET", "/a");
    clock->advance(999ms);
    call(server, "GET", "/a");
    CHECK(server.max_requests_in_one_second() == 4);
    CHECK(server.max_requests_in_one_second("/a") == 4);
    CHECK(server.max_requests_in_one_second("/b") == 1);
}

TEST_CASE("emulator: state evolves with the emulator's clock, not with real time", "[emulator][clock]") {
    auto clock = std::make_shared<EmulatorClock>(monday_10am());
    EmulatorServer server(on_clock(clock));
    // The shape an emulator gives evolving state: record when, derive the status from now().
    const auto deposited = clock->now();
    server.route("GET", "/factures/{id}", [&](const Request &) {
        const bool integrated = server.clock().now() - deposited >= 5min;
        return Response::json(200, std::string(R"({"statut":")") + (integrated ? "IN_INTEGRE" : "IN_RECU") + "\"}");
    });
    server.start();
    CHECK(parse(call(server, "GET", "/factures/1").body)->getValue<std::string>("statut") == "IN_RECU");
    clock->advance(4min);
    CHECK(parse(call(server, "GET", "/factures/1").body)->getValue<std::string>("statut") == "IN_RECU");
    clock->advance(1min);
    CHECK(parse(call(server, "GET", "/factures/1").body)->getValue<std::string>("statut") == "IN_INTEGRE");
}

TEST_CASE("emulator: the clock is manual or real time, and advances in both", "[emulator][clock]") {
    EmulatorClock manual(monday_10am());
    CHECK(manual.manual());
    CHECK(manual.now() == monday_10am());
    manual.advance(5min);
    CHECK(manual.now() == monday_10am() + 5min);
    manual.run_real_time();  // goes on from 10:05, it does not jump to the real date
    CHECK_FALSE(manual.manual());
    CHECK(manual.now() >= monday_10am() + 5min);
    CHECK(manual.now() < monday_10am() + 5min + 1h);

    EmulatorClock real;
    CHECK_FALSE(real.manual());
    const auto system_now = std::chrono::system_clock::now();
    CHECK(real.now() >= system_now);
    real.advance(24h);
    CHECK(real.now() >= system_now + 24h);
    real.set(monday_10am());
    CHECK(real.manual());
    CHECK(real.now() == monday_10am());
}

TEST_CASE("emulator: injected 429, 500 and 503 are answered in order, then normal service", "[emulator][faults]") {
    EmulatorServer server;
    server.route("GET", "/ping", ok());
    server.start();
    server.inject(Fault::too_many_requests(7s));
    server.inject(Fault::server_error());
    server.inject(Fault::unavailable(30s), 2);
    CHECK(server.pending_faults() == 4);

    auto reply = call(server, "GET", "/ping");
    CHECK(reply.status == 429);
    CHECK(reply.headers.get("Retry-After") == "7");
    CHECK(call(server, "GET", "/ping").status == 500);
    reply = call(server, "GET", "/ping");
    CHECK(reply.status == 503);
    CHECK(reply.headers.get("Retry-After") == "30");
    CHECK(call(server, "GET", "/ping").status == 503);
    CHECK(call(server, "GET", "/ping").status == 200);
    CHECK(server.pending_faults() == 0);

    server.inject(Fault::server_error(), 3);
    server.clear_faults();
    CHECK(call(server, "GET", "/ping").status == 200);
}

TEST_CASE("emulator: a fault under a path prefix spares the other paths", "[emulator][faults]") {
    EmulatorServer server;
    server.route("POST", "/api/oauth/token", ok());
    server.route("GET", "/cpro/structures/{id}", ok());
    server.start();
    server.inject(Fault::unavailable().under("/cpro"));

    CHECK(call(server, "POST", "/api/oauth/token").status == 200);
    const auto reply = call(server, "GET", "/cpro/structures/1");
    CHECK(reply.status == 503);
    CHECK_FALSE(reply.headers.has("Retry-After"));
    CHECK(call(server, "GET", "/cpro/structures/1").status == 200);
}

TEST_CASE("emulator: a hang makes a client with a 200 ms timeout time out, and holds no one else", "[emulator][faults]") {
    EmulatorServer server;
    server.route("GET", "/slow", ok());
    server.route("GET", "/fast", ok());
    server.start();
    server.inject(Fault::hang(60s).under("/slow"));

    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(call(server, "GET", "/slow", "", "", {}, Poco::Timespan(0, 200'000)), Poco::TimeoutException);
    CHECK(std::chrono::steady_clock::now() - started < 10s);
    // The server still holds that request; others are answered meanwhile.
    CHECK(call(server, "GET", "/fast").status == 200);
    // The destructor's stop() releases the held request.
}

TEST_CASE("emulator: after a short hang the request is answered as usual, late", "[emulator][faults]") {
    EmulatorServer server;
    server.route("GET", "/slow", ok(R"({"late":true})"));
    server.start();
    server.inject(Fault::hang(300ms));

    const auto started = std::chrono::steady_clock::now();
    const auto reply = call(server, "GET", "/slow");
    CHECK(std::chrono::steady_clock::now() - started >= 300ms);
    CHECK(reply.status == 200);
    CHECK(reply.body == R"({"late":true})");
}

TEST_CASE("emulator: stop() returns while a hang is pending, and the held client sees the connection end",
          "[emulator][faults]") {
    EmulatorServer server;
    server.route("GET", "/slow", ok());
    server.start();
    server.inject(Fault::hang(60s));

    auto client = std::async(std::launch::async, [&] { return call(server, "GET", "/slow", "", "", {}, Poco::Timespan(30, 0)); });
    REQUIRE(server.wait_for_count("GET", "/slow", 1, 10s));  // the request is being held

    const auto started = std::chrono::steady_clock::now();
    server.stop();
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK_FALSE(server.running());
    REQUIRE(client.wait_for(10s) == std::future_status::ready);
    CHECK_THROWS_AS(client.get(), Poco::Net::NetException);
    CHECK(server.requests().at(0).status == 0);  // never answered
}

TEST_CASE("emulator: a reset drops the connection without an answer", "[emulator][faults]") {
    EmulatorServer server;
    server.route("POST", "/deposer", ok());
    server.start();
    server.inject(Fault::reset());

    CHECK_THROWS_AS(call(server, "POST", "/deposer", "{}", "application/json"), Poco::Net::ConnectionResetException);
    CHECK(server.requests().at(0).status == 0);
    CHECK(call(server, "POST", "/deposer", "{}", "application/json").status == 200);
}

TEST_CASE("emulator: a handler can do its work and then drop the connection unanswered", "[emulator][faults]") {
    EmulatorServer server;
    std::atomic<int> done{0};
    server.route("POST", "/deposer", [&done](const Request &) -> Response {
        ++done;  // the work takes effect...
        throw DropConnection();  // ...and the client never learns it
    });
    server.route("GET", "/ping", ok());
    server.start();

    CHECK_THROWS_AS(call(server, "POST", "/deposer", "{}", "application/json"), Poco::Net::ConnectionResetException);
    CHECK(done == 1);
    REQUIRE(server.count("POST", "/deposer") == 1);
    CHECK(server.requests().at(0).status == 0);
    CHECK(call(server, "GET", "/ping").status == 200);
}

TEST_CASE("emulator: a malformed body is a 200 whose JSON does not parse", "[emulator][faults]") {
    EmulatorServer server;
    server.route("GET", "/ping", ok());
    server.start();
    server.inject(Fault::malformed_body());

    const auto reply = call(server, "GET", "/ping");
    CHECK(reply.status == 200);
    CHECK(reply.headers.get("Content-Type") == "application/json");
    CHECK_THROWS_AS(parse(reply.body), Poco::JSON::JSONException);
}

TEST_CASE("emulator: start and stop are idempotent, and a restart listens on the same port", "[emulator]") {
    EmulatorServer server;
    server.route("GET", "/ping", ok());
    server.stop();  // never started: nothing to do
    server.start();
    server.start();
    const auto port = server.port();
    CHECK(server.base_url() == "http://127.0.0.1:" + std::to_string(port));
    CHECK(call(server, "GET", "/ping").status == 200);

    server.stop();
    server.stop();
    CHECK_THROWS_AS(call(server, "GET", "/ping"), Poco::Net::ConnectionRefusedException);

    server.start();  // the outage ends: the same URL works again
    CHECK(server.port() == port);
    CHECK(call(server, "GET", "/ping").status == 200);
}

TEST_CASE("emulator: over HTTPS a reset also ends the connection without an answer", "[emulator][tls][faults]") {
    test::TempDir dir("relais-emulator");
    TestCertificateAuthority ca(dir.path());
    EmulatorServer server(over_tls(ca));
    server.route("GET", "/ping", ok());
    server.start();
    server.inject(Fault::reset());

    Poco::Net::HTTPSClientSession session("localhost", server.port(), ca.client_context());
    session.setTimeout(Poco::Timespan(5, 0));
    CHECK_THROWS_AS(call(session, "GET", "/ping"), Poco::Net::NetException);
    Poco::Net::HTTPSClientSession again("localhost", server.port(), ca.client_context());
    again.setTimeout(Poco::Timespan(5, 0));
    CHECK(call(again, "GET", "/ping").status == 200);
}
