// classify(): every connector maps HTTP statuses and transport failures to the same classes,
// so the host's retry policy (driven by the class) treats all connectors alike.
#include "emulator_server.hpp"

#include <relais/support/classify.hpp>

#include <catch2/catch.hpp>

using namespace relais;
using namespace relais::support;
using namespace std::chrono;

namespace {

HttpResponse answer(int status, std::string body = "", Fields headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

// 2024-09-10 13:24:25 UTC, the Date of a recorded INSEE answer.
const system_clock::time_point kNow = system_clock::time_point(milliseconds(1725974665000));

ClassifyOptions doing(std::string what) {
    ClassifyOptions o;
    o.what = std::move(what);
    return o;
}

}  // namespace

TEST_CASE("support classify: each HTTP status maps to its error class", "[support][classify]") {
    CHECK(classify(answer(200)).ok());
    CHECK(classify(answer(204)).ok());
    CHECK(classify(answer(401)).status == RELAIS_UNAUTHORIZED);
    CHECK(classify(answer(403)).status == RELAIS_FORBIDDEN);
    CHECK(classify(answer(404)).status == RELAIS_NOT_FOUND);
    CHECK(classify(answer(410)).status == RELAIS_NOT_FOUND);
    CHECK(classify(answer(408)).status == RELAIS_TRANSIENT);
    CHECK(classify(answer(500)).status == RELAIS_TRANSIENT);
    CHECK(classify(answer(502)).status == RELAIS_TRANSIENT);
    CHECK(classify(answer(503)).status == RELAIS_TRANSIENT);
    CHECK(classify(answer(429)).status == RELAIS_RATE_LIMITED);
    CHECK(classify(answer(409)).status == RELAIS_PERMANENT);
    CHECK(classify(answer(301)).status == RELAIS_PERMANENT);
    // 400 and 422: the caller says whether the input or the business rules were refused.
    CHECK(classify(answer(400)).status == RELAIS_INVALID_INPUT);
    ClassifyOptions business;
    business.client_error = RELAIS_PERMANENT;
    CHECK(classify(answer(422), business).status == RELAIS_PERMANENT);
}

TEST_CASE("support classify: messages name the operation, the status and the upstream's own words", "[support][classify]") {
    ClassifyOptions options;
    options.what = "Sirene lookup of 12345678901234";
    auto r = answer(404, R"({"header":{"statut":404,"message":"Aucun élément trouvé pour le siret 12345678901234"}})");
    r.reason = "Not Found";
    const auto c = classify(r, options);
    CHECK(c.message ==
          "Sirene lookup of 12345678901234: HTTP 404 Not Found (Aucun élément trouvé pour le siret 12345678901234)");
    CHECK(c.http_status == 404);
    const auto error = c.to_error();
    CHECK(error.status() == RELAIS_NOT_FOUND);
    REQUIRE(error.detail());
    CHECK(error.detail()->getValue<int>("http_status") == 404);

    // OAuth errors, Gravitee's, plain text; HTML pages are not quoted.
    CHECK(describe_error_body(answer(401, R"({"error_description":"bad secret","error":"invalid_client"})")) ==
          "invalid_client: bad secret");
    CHECK(describe_error_body(answer(401, R"({"message":"Unauthorized","http_status_code":401})")) == "Unauthorized");
    CHECK(describe_error_body(answer(500, "boom\nat line 3", {{"Content-Type", "text/plain"}})) == "boom at line 3");
    CHECK(describe_error_body(answer(502, "<html><body>Bad gateway</body></html>", {{"Content-Type", "text/html"}})).empty());
}

TEST_CASE("support classify: 429 waits for Retry-After in seconds or as an HTTP date", "[support][classify]") {
    auto c = classify(answer(429, "", {{"Retry-After", "7"}}), {}, kNow);
    CHECK(c.status == RELAIS_RATE_LIMITED);
    CHECK(c.retry_after == seconds(7));
    c = classify(answer(429, "", {{"Retry-After", "Tue, 10 Sep 2024 13:25:15 GMT"}}), {}, kNow);
    CHECK(c.retry_after == seconds(50));
    // No hint at all: the caller's default.
    ClassifyOptions options;
    options.default_retry_after = seconds(3);
    CHECK(classify(answer(429), options, kNow).retry_after == seconds(3));
    // A 503 may say when to come back too.
    CHECK(classify(answer(503, "", {{"Retry-After", "120"}}), {}, kNow).retry_after == seconds(120));
    CHECK(parse_retry_after("soon", kNow) == std::nullopt);
    CHECK(parse_retry_after("Tue, 10 Sep 2024 13:00:00 GMT", kNow) == milliseconds(0));  // already past
}

TEST_CASE("support classify: 429 without Retry-After uses the API's reset header", "[support][classify]") {
    // INSEE (Gravitee): X-Rate-Limit-Reset is the end of the window in epoch milliseconds.
    ClassifyOptions options;
    options.reset_header = ResetHeader{"X-Rate-Limit-Reset", ResetHeader::Unit::epoch_milliseconds};
    const auto c = classify(answer(429, "", {{"X-Rate-Limit-Reset", "1725974715180"}}), options, kNow);
    CHECK(c.retry_after == milliseconds(50180));
    CHECK(reset_delay(answer(429, "", {{"RateLimit-Reset", "42"}}), {"RateLimit-Reset", ResetHeader::Unit::delay_seconds},
                      kNow) == seconds(42));
    CHECK(reset_delay(answer(429, "", {{"X-RateLimit-Reset", "1725974675"}}),
                      {"X-RateLimit-Reset", ResetHeader::Unit::epoch_seconds}, kNow) == seconds(10));
    CHECK_FALSE(reset_delay(answer(429), *options.reset_header, kNow));
}

TEST_CASE("support classify: transport failures are transient, except an untrusted certificate", "[support][classify]") {
    for (auto kind : {TransportError::Kind::timeout, TransportError::Kind::connect_failed, TransportError::Kind::dns,
                      TransportError::Kind::reset, TransportError::Kind::tls, TransportError::Kind::other}) {
        const auto c = classify(TransportError(kind, "h", "what happened"), "Chorus deposit");
        CHECK(c.status == RELAIS_TRANSIENT);
        CHECK(c.message == "Chorus deposit: what happened");
        CHECK(c.http_status == 0);
    }
    const auto c = classify(TransportError(TransportError::Kind::tls_verification, "h",
                                           "certificate verification failed for host h: self-signed certificate"));
    CHECK(c.status == RELAIS_INVALID_CONFIG);
    CHECK(c.message == "certificate verification failed for host h: self-signed certificate");
}

TEST_CASE("support classify: an emulator's over-quota answer is rate_limited with its Retry-After", "[support][classify]") {
    relais::emulator::EmulatorServer server;
    server.route("GET", "/ping", [](const relais::emulator::Request &) {
        return relais::emulator::Response::json(200, R"({"pong":true})");
    });
    server.set_quota(1, 0);
    server.start();
    HttpClient http;
    const auto url = server.base_url() + "/ping";
    // Two requests in one second of the emulator's clock: unless a second boundary falls
    // between them, the second is over quota. Send until one is refused (at most three).
    std::optional<HttpResponse> refused;
    for (int i = 0; i < 3 && !refused; ++i) {
        auto r = http.send(HttpRequest::get(url));
        if (r.status == 429) refused = r;
    }
    REQUIRE(refused);
    const auto c = classify(*refused);
    CHECK(c.status == RELAIS_RATE_LIMITED);
    CHECK(c.retry_after == seconds(1));
    CHECK_THAT(c.message, Catch::Contains("too many requests per second"));
}

TEST_CASE("support classify: whether the request was applied, as the Chorus deposits need it", "[support][classify]") {
    using Applied = Classification::Applied;
    // Statuses: 2xx yes; 500, 502, 504 (maybe from behind a gateway) and 303 unknown; the rest no.
    for (int s : {200, 201, 202, 204}) CHECK(classify(answer(s)).applied == Applied::yes);
    for (int s : {500, 502, 504, 303}) {
        CHECK(classify(answer(s)).applied == Applied::unknown);
        CHECK(classify(answer(s)).uncertain());
    }
    for (int s : {100, 301, 302, 307, 308, 400, 401, 403, 404, 408, 409, 413, 422, 429, 501, 503, 505})
        CHECK(classify(answer(s)).applied == Applied::no);

    // Failures built without saying whether the request went: the Chorus reading. Refused,
    // DNS and TLS are "not sent"; timeout, reset and other "uncertain".
    using Kind = TransportError::Kind;
    for (auto kind : {Kind::connect_failed, Kind::dns, Kind::tls_verification, Kind::tls})
        CHECK(classify(TransportError(kind, "h", "x")).applied == Applied::no);
    for (auto kind : {Kind::timeout, Kind::reset, Kind::other})
        CHECK(classify(TransportError(kind, "h", "x")).applied == Applied::unknown);
    // Knowing it went or not decides.
    CHECK(classify(TransportError(Kind::timeout, "h", "connect timeout", false)).applied == Applied::no);
    CHECK(classify(TransportError(Kind::reset, "h", "reset while sending", false)).applied == Applied::no);
    CHECK(classify(TransportError(Kind::tls, "h", "alert after the request", true)).uncertain());
}

TEST_CASE("support classify: a redirect names where it led, another host is said to be one", "[support][classify]") {
    auto r = answer(302, "", {{"Location", "https://login.example.net/sso?ticket=1"}});
    r.url = "https://api.example.org/v1/report";
    auto c = classify(r, doing("report"));
    CHECK(c.status == RELAIS_PERMANENT);
    CHECK(c.message == "report: HTTP 302: redirected to another host (login.example.net): not followed, "
                       "credentials are never sent there");
    r.headers = {{"Location", "/v2/report"}};
    CHECK(classify(r).message == "HTTP 302: redirected to https://api.example.org/v2/report, not followed");
    CHECK(classify(answer(407)).status == RELAIS_INVALID_CONFIG);
}
