// HttpClient over plain HTTP: what it sends, keep-alive reuse, timeouts, resets, refusals.
#include "emulator_server.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

#include <future>

using namespace relais;
using namespace relais::support;
using namespace relais::emulator;
using namespace std::chrono_literals;

namespace {

Handler ok(std::string body = R"({"ok":true})") {
    return [body](const Request &) { return Response::json(200, body); };
}

TransportError expect_transport_error(HttpClient &http, const HttpRequest &request) {
    try {
        http.send(request);
    } catch (const TransportError &e) {
        return e;
    }
    FAIL("the request got an answer");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("support http: a form POST arrives with its headers, body and content type", "[support][http]") {
    EmulatorServer server;
    server.route("POST", "/siret", [](const Request &r) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("q", r.form_param("q").value_or(""));
        o->set("nombre", r.form_param("nombre").value_or(""));
        o->set("key", r.header("X-INSEE-Api-Key-Integration").value_or(""));
        o->set("agent", r.header("User-Agent").value_or(""));
        o->set("type", r.header("Content-Type").value_or(""));
        return Response::json(200, o).header("X-Rate-Limit-Remaining", "29");
    });
    server.start();
    HttpClient http;
    auto request = HttpRequest::post(server.base_url() + "/siret")
                       .form({{"q", "siret:39860733300059 OR siret:73282932000074"}, {"nombre", "2"}})
                       .header("X-INSEE-Api-Key-Integration", "k-123");
    const auto r = http.send(request);
    REQUIRE(r.status == 200);
    CHECK(r.header("x-rate-limit-remaining") == std::optional<std::string>("29"));  // names are case-insensitive
    const auto body = r.json();
    CHECK(body->getValue<std::string>("q") == "siret:39860733300059 OR siret:73282932000074");
    CHECK(body->getValue<std::string>("nombre") == "2");
    CHECK(body->getValue<std::string>("key") == "k-123");
    CHECK(body->getValue<std::string>("agent") == "Relais");
    CHECK(body->getValue<std::string>("type") == "application/x-www-form-urlencoded");
}

TEST_CASE("support http: a JSON body and query parameters are sent as given", "[support][http]") {
    EmulatorServer server;
    server.route("PUT", "/items/{id}", [](const Request &r) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("id", r.param("id"));
        o->set("v", r.json()->getValue<int>("v"));
        o->set("page", r.query_param("page").value_or(""));
        return Response::json(201, o);
    });
    server.start();
    HttpClient http;
    HttpRequest request;
    request.method = "PUT";
    request.url = server.base_url() + "/items/7";
    Json payload = new Poco::JSON::Object;
    payload->set("v", 3);
    request.json(payload).query({{"page", "2 of 3"}});
    const auto r = http.send(request);
    CHECK(r.status == 201);
    CHECK(r.ok());
    CHECK(r.json()->getValue<std::string>("page") == "2 of 3");
    CHECK(r.json()->getValue<int>("v") == 3);
}

TEST_CASE("support http: every status is an answer, not an exception", "[support][http]") {
    EmulatorServer server;
    server.route("GET", "/gone", [](const Request &) { return error_response(404, "not_found", "no such thing"); });
    server.start();
    HttpClient http;
    const auto r = http.send(HttpRequest::get(server.base_url() + "/gone"));
    CHECK(r.status == 404);
    CHECK_FALSE(r.ok());
    CHECK(classify(r).status == RELAIS_NOT_FOUND);
}

TEST_CASE("support http: keep-alive connections are reused across requests and threads", "[support][http]") {
    EmulatorServer server;
    server.route("GET", "/ping", ok());
    server.start();
    HttpClient http;
    for (int i = 0; i < 5; ++i) REQUIRE(http.send(HttpRequest::get(server.base_url() + "/ping")).status == 200);
    CHECK(http.connections_opened() == 1);

    // Four threads at once need up to four connections, which stay pooled afterwards.
    std::vector<std::future<int>> calls;
    for (int t = 0; t < 4; ++t)
        calls.push_back(std::async(std::launch::async, [&] {
            int good = 0;
            for (int i = 0; i < 10; ++i) good += http.send(HttpRequest::get(server.base_url() + "/ping")).status == 200;
            return good;
        }));
    for (auto &c : calls) CHECK(c.get() == 10);
    CHECK(http.connections_opened() <= 4);
    CHECK(server.count("GET", "/ping") == 45);
}

TEST_CASE("support http: a kept-alive connection the server closed is retried once on a new one", "[support][http]") {
    EmulatorServer server;
    server.route("GET", "/ping", ok());
    server.start();
    HttpClient http;
    REQUIRE(http.send(HttpRequest::get(server.base_url() + "/ping")).status == 200);
    // A restart closes every connection, the pooled one included; the port stays the same.
    server.stop();
    server.start();
    CHECK(http.send(HttpRequest::get(server.base_url() + "/ping")).status == 200);
    CHECK(http.connections_opened() == 2);
}

TEST_CASE("support http: a server that does not answer in time is a timeout, classified transient", "[support][http]") {
    EmulatorServer server;
    server.route("GET", "/slow", ok());
    server.start();
    server.inject(Fault::hang(60s));
    HttpClientOptions options;
    options.read_timeout = 200ms;
    HttpClient http(options);
    const auto started = std::chrono::steady_clock::now();
    const auto e = expect_transport_error(http, HttpRequest::get(server.base_url() + "/slow"));
    CHECK(std::chrono::steady_clock::now() - started < 10s);
    CHECK(e.kind() == TransportError::Kind::timeout);
    CHECK_THAT(e.what(), Catch::Contains("read timeout 200 ms"));
    CHECK(classify(e, "ping").status == RELAIS_TRANSIENT);
    // The next request does not inherit the broken connection.
    CHECK(http.send(HttpRequest::get(server.base_url() + "/slow")).status == 200);
}

TEST_CASE("support http: a reset connection is a transport error, classified transient", "[support][http]") {
    EmulatorServer server;
    server.route("POST", "/deposer", ok());
    server.start();
    server.inject(Fault::reset());
    HttpClient http;
    const auto e = expect_transport_error(http, HttpRequest::post(server.base_url() + "/deposer").form({{"a", "1"}}));
    CHECK(e.kind() == TransportError::Kind::reset);
    CHECK(classify(e).status == RELAIS_TRANSIENT);
    CHECK(http.send(HttpRequest::post(server.base_url() + "/deposer").form({{"a", "1"}})).status == 200);
}

TEST_CASE("support http: a refused connection is a transport error naming the address", "[support][http]") {
    EmulatorServer server;
    server.route("GET", "/ping", ok());
    server.start();
    const auto url = server.base_url() + "/ping";
    const auto port = std::to_string(server.port());
    server.stop();
    HttpClient http;
    const auto e = expect_transport_error(http, HttpRequest::get(url));
    CHECK(e.kind() == TransportError::Kind::connect_failed);
    CHECK_THAT(e.what(), Catch::Contains("127.0.0.1:" + port));
    CHECK(classify(e).status == RELAIS_TRANSIENT);
}

TEST_CASE("support http: a cut JSON body is reported as transient", "[support][http]") {
    EmulatorServer server;
    server.route("GET", "/ping", ok());
    server.start();
    server.inject(Fault::malformed_body());
    HttpClient http;
    const auto r = http.send(HttpRequest::get(server.base_url() + "/ping"));
    REQUIRE(r.status == 200);
    try {
        r.json("the ping answer");
        FAIL("parsed");
    } catch (const Error &e) {
        CHECK(e.status() == RELAIS_TRANSIENT);
        CHECK_THAT(e.what(), Catch::Contains("the ping answer (HTTP 200) is not valid JSON"));
    }
}

TEST_CASE("support http: a URL that is not absolute http(s) is refused before anything is sent", "[support][http]") {
    HttpClient http;
    CHECK_THROWS_AS(http.send(HttpRequest::get("/relative/path")), std::invalid_argument);
    CHECK_THROWS_AS(http.send(HttpRequest::get("ftp://example.org/x")), std::invalid_argument);
}

TEST_CASE("support http: a POST is never sent twice and takes a new connection, unless marked idempotent", "[support][http]") {
    EmulatorServer server;
    server.route("POST", "/deposit", ok());
    server.start();
    HttpClient http;
    REQUIRE(http.send(HttpRequest::post(server.base_url() + "/deposit").json(Json(new Poco::JSON::Object))).status == 200);
    REQUIRE(http.send(HttpRequest::post(server.base_url() + "/deposit").json(Json(new Poco::JSON::Object))).status == 200);
    CHECK(http.connections_opened() == 2);  // no reuse for a request that must not be repeated

    // The server takes the request, then drops the connection: the client must not resend it.
    server.inject(Fault::reset());
    const auto e = expect_transport_error(http, HttpRequest::post(server.base_url() + "/deposit").json(Json(new Poco::JSON::Object)));
    CHECK(e.kind() == TransportError::Kind::reset);
    CHECK(server.count("POST", "/deposit") == 3);

    // A read-only POST (Chorus Pro searches are POSTs) may be marked idempotent: reused and retried.
    auto search = [&] { return HttpRequest::post(server.base_url() + "/deposit").json(Json(new Poco::JSON::Object)).mark_idempotent(true); };
    REQUIRE(http.send(search()).status == 200);
    const auto opened = http.connections_opened();
    REQUIRE(http.send(search()).status == 200);
    CHECK(http.connections_opened() == opened);
}
