// HttpClient credentials: Basic and bearer go only to their origin; a bearer refused with 401
// is renewed and the request sent once more; misconfigured credentials are refused up front.
#include "emulator_server.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/http_client.hpp>
#include <relais/support/oauth2_client_credentials.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

using namespace relais;
using namespace relais::support;
using namespace relais::emulator;

namespace {

Handler ok() {
    return [](const Request &) { return Response::json(200, R"({"ok":true})"); };
}

std::string authorization_of(const RecordedRequest &r) { return r.headers.get("Authorization", ""); }

template <class F>
std::string error_of(F &&f) {
    try {
        f();
    } catch (const std::exception &e) {
        return e.what();
    }
    return "";
}

ClassifyOptions doing(std::string what) {
    ClassifyOptions o;
    o.what = std::move(what);
    return o;
}

}  // namespace

TEST_CASE("support credentials: Basic goes, preemptively, to its origin only", "[support][credentials]") {
    EmulatorServer api, other;
    api.route("GET", "/me", ok());
    other.route("GET", "/me", ok());
    api.start();
    other.start();

    HttpClientOptions options;
    options.credentials = Credentials::basic(api.base_url(), "alice", "pa:ss");
    HttpClient http(options);
    CHECK(http.send(HttpRequest::get(api.base_url() + "/me")).status == 200);
    CHECK(http.send(HttpRequest::get(other.base_url() + "/me")).status == 200);
    // The same server under another name is another origin.
    CHECK(http.send(HttpRequest::get("http://localhost:" + std::to_string(api.port()) + "/me")).status == 200);

    const auto seen = api.requests();
    REQUIRE(seen.size() == 2);
    CHECK(authorization_of(seen[0]) == "Basic YWxpY2U6cGE6c3M=");  // alice:pa:ss
    CHECK(authorization_of(seen[1]).empty());
    REQUIRE(other.requests().size() == 1);
    CHECK(authorization_of(other.requests()[0]).empty());
}

TEST_CASE("support credentials: a refused Basic login says whose, never the password", "[support][credentials]") {
    EmulatorServer api;
    api.route("GET", "/me", [](const Request &) { return error_response(401, "unauthorized", "bad credentials"); });
    api.start();
    HttpClientOptions options;
    options.credentials = Credentials::basic(api.base_url() + "/", "alice", "hunter2-secret");
    HttpClient http(options);
    const auto r = http.send(HttpRequest::get(api.base_url() + "/me"));
    CHECK(r.status == 401);
    const auto c = classify(r, doing("profile lookup"));
    CHECK(c.status == RELAIS_UNAUTHORIZED);
    CHECK_THAT(c.message, Catch::Contains("the server refused the Basic credentials of alice"));
    CHECK_THAT(c.message, !Catch::Contains("hunter2"));
    CHECK(api.requests().size() == 1);  // Basic is not retried
}

TEST_CASE("support credentials: a bearer refused with 401 is renewed and the request sent exactly once more", "[support][credentials]") {
    EmulatorServer api;
    std::mutex mutex;
    std::vector<std::string> bodies;
    api.route("POST", "/deposits", [&](const Request &r) {
        if (r.header("Authorization") != std::optional<std::string>("Bearer fresh"))
            return error_response(401, "invalid_token", "expired");
        std::lock_guard lock(mutex);
        bodies.push_back(r.body);
        return Response::json(201, R"({"id":1})");
    });
    api.start();

    std::atomic<int> issued{0};
    std::vector<std::string> rejected;
    HttpClientOptions options;
    options.credentials = Credentials::with_bearer(
        api.base_url(), [&] { return issued++ == 0 ? std::string("Bearer stale") : std::string("Bearer fresh"); },
        [&](const std::string &value) { rejected.push_back(value); });
    HttpClient http(options);

    const auto r = http.send(HttpRequest::post(api.base_url() + "/deposits").json(Json(new Poco::JSON::Object)));
    CHECK(r.status == 201);
    CHECK(api.count("POST", "/deposits") == 2);
    CHECK(bodies == std::vector<std::string>{"{}"});  // applied once
    CHECK(rejected == std::vector<std::string>{"Bearer stale"});
    CHECK(issued == 2);

    // Refused again after the renewal: that second 401 is the answer, nothing more is sent.
    issued = 0;
    rejected.clear();
    api.clear();
    HttpClientOptions stubborn = options;
    stubborn.credentials.bearer = [&] { return "Bearer never-" + std::to_string(issued++); };
    HttpClient refused(stubborn);
    const auto twice = refused.send(HttpRequest::post(api.base_url() + "/deposits").form({{"a", "1"}}));
    CHECK(twice.status == 401);
    CHECK(api.count("POST", "/deposits") == 2);
    CHECK(rejected == std::vector<std::string>{"Bearer never-0"});
    CHECK_THAT(classify(twice).message, Catch::Contains("refused the bearer token, and the renewed one after it"));
}

TEST_CASE("support credentials: the OAuth2 token request to another host never carries the bearer", "[support][credentials]") {
    EmulatorServer login, api;
    std::atomic<int> tokens_issued{0};
    login.route("POST", "/oauth2/token", [&](const Request &) {
        return Response::json(200, R"({"access_token":"tok-)" + std::to_string(++tokens_issued) +
                                       R"(","token_type":"Bearer","expires_in":3600})");
    });
    api.route("GET", "/me", [](const Request &r) {
        // The first token was revoked on the server's side.
        if (r.header("Authorization") != std::optional<std::string>("Bearer tok-2"))
            return error_response(401, "invalid_token", "revoked");
        return Response::json(200, R"({"me":"x"})");
    });
    login.start();
    api.start();

    std::unique_ptr<OAuth2ClientCredentials> tokens;
    HttpClientOptions options;
    options.credentials = Credentials::with_bearer(
        api.base_url(), [&] { return tokens->token().authorization(); },
        [&](const std::string &value) { tokens->invalidate(value.substr(std::string("Bearer ").size())); });
    HttpClient http(options);
    OAuth2Config config;
    config.token_url = login.base_url() + "/oauth2/token";
    config.client_id = "client";
    config.client_secret = "client-secret";
    tokens = std::make_unique<OAuth2ClientCredentials>(http, config);

    CHECK(http.send(HttpRequest::get(api.base_url() + "/me")).status == 200);
    CHECK(tokens_issued == 2);
    for (const auto &r : login.requests()) CHECK(authorization_of(r).empty());
    CHECK(api.count("GET", "/me") == 2);
}

TEST_CASE("support credentials: credentials without a usable origin are refused when the client is made", "[support][credentials]") {
    HttpClientOptions options;
    options.credentials = Credentials::basic("", "alice", "secret-1");
    auto message = error_of([&] { HttpClient http(options); });
    CHECK_THAT(message, Catch::Contains("need the origin they belong to"));
    CHECK_THROWS_AS(HttpClient(options), relais::Error);

    options.credentials.origin = "https://mail.example.org/EWS/Exchange.asmx";
    message = error_of([&] { HttpClient http(options); });
    CHECK_THAT(message, Catch::Contains("is not scheme://host[:port]"));
    CHECK_THAT(message, !Catch::Contains("secret-1"));

    options.credentials = Credentials::with_bearer("https://graph.example.org", nullptr);
    CHECK_THROWS_AS(HttpClient(options), relais::Error);
    // An origin written with its default port or in capitals is the same origin.
    options.credentials = Credentials::basic("HTTPS://Graph.Example.org:443", "u", "p");
    CHECK_NOTHROW(HttpClient(options));
}

TEST_CASE("support credentials: a transport failure with credentials names no secret", "[support][credentials]") {
    EmulatorServer api;
    api.route("GET", "/me", ok());
    api.start();
    const auto base = api.base_url();
    api.stop();
    HttpClientOptions options;
    options.credentials = Credentials::ntlm(base, "CONTOSO\\alice", "Secret-Pass-1");
    HttpClient http(options);
    try {
        http.send(HttpRequest::get(base + "/me"));
        FAIL("sent");
    } catch (const TransportError &e) {
        CHECK(e.kind() == TransportError::Kind::connect_failed);
        CHECK_FALSE(e.request_sent());
        CHECK_THAT(e.what(), !Catch::Contains("Secret-Pass-1"));
    }
}
