// HttpClient redirects: followed only when asked and only within the origin; what becomes of
// the method and body; a redirect elsewhere is returned and classified, never followed.
#include "emulator_server.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

using namespace relais;
using namespace relais::support;
using namespace relais::emulator;

namespace {

Handler redirect(int status, std::string location) {
    return [status, location](const Request &) {
        return Response::text(status, "moved").header("Location", location);
    };
}

// Echoes the method, body and content type it got.
Handler echo() {
    return [](const Request &r) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("method", r.method);
        o->set("body", r.body);
        o->set("type", r.header("Content-Type").value_or(""));
        o->set("authorization", r.header("Authorization").value_or(""));
        return Response::json(200, o);
    };
}

HttpRequest following(HttpRequest r) {
    r.follow_redirects = true;
    return r;
}

ClassifyOptions doing(std::string what) {
    ClassifyOptions o;
    o.what = std::move(what);
    return o;
}

}  // namespace

TEST_CASE("support redirects: a same-origin 302 is followed when asked, with a relative Location", "[support][redirect]") {
    EmulatorServer server;
    server.route("GET", "/v1/jobs/{id}", redirect(302, "../documents/42?format=json"));
    server.route("GET", "/v1/documents/{id}", echo());
    server.start();
    HttpClient http;

    const auto r = http.send(following(HttpRequest::get(server.base_url() + "/v1/jobs/7")));
    CHECK(r.status == 200);
    CHECK(r.url == server.base_url() + "/v1/documents/42?format=json");
    CHECK(r.redirects_followed == 1);
    CHECK(r.json()->getValue<std::string>("method") == "GET");
    CHECK(server.count("GET", "/v1/documents/{id}") == 1);

    // Not asked: the 302 itself, classified permanent, naming where it pointed.
    const auto plain = http.send(HttpRequest::get(server.base_url() + "/v1/jobs/7"));
    CHECK(plain.status == 302);
    CHECK(plain.url == server.base_url() + "/v1/jobs/7");
    const auto c = classify(plain);
    CHECK(c.status == RELAIS_PERMANENT);
    CHECK_THAT(c.message, Catch::Contains("redirected to " + server.base_url() + "/v1/documents/42, not followed"));
    CHECK(server.count("GET", "/v1/documents/{id}") == 1);
}

TEST_CASE("support redirects: a 303 after a POST becomes a GET without body", "[support][redirect]") {
    EmulatorServer server;
    server.route("POST", "/deposits", redirect(303, "/deposits/9"));
    server.route("GET", "/deposits/{id}", echo());
    server.start();
    HttpClient http;

    const auto r = http.send(following(HttpRequest::post(server.base_url() + "/deposits").form({{"invoice", "F-1"}})));
    REQUIRE(r.status == 200);
    const auto body = r.json();
    CHECK(body->getValue<std::string>("method") == "GET");
    CHECK(body->getValue<std::string>("body").empty());
    CHECK(body->getValue<std::string>("type").empty());
    CHECK(server.count("POST", "/deposits") == 1);  // the POST went once
    CHECK(classify(r).applied == Classification::Applied::yes);
}

TEST_CASE("support redirects: 307 and 308 keep method and body, for idempotent requests only", "[support][redirect]") {
    EmulatorServer server;
    server.route("PUT", "/old/{id}", redirect(308, "/new/1"));
    server.route("PUT", "/new/{id}", echo());
    server.route("POST", "/old/{id}", redirect(307, "/new/1"));
    server.route("POST", "/new/{id}", echo());
    server.start();
    HttpClient http;

    HttpRequest put;
    put.method = "PUT";
    put.url = server.base_url() + "/old/1";
    put.json(Json(new Poco::JSON::Object)).follow_redirects = true;
    const auto moved = http.send(put);
    REQUIRE(moved.status == 200);
    CHECK(moved.json()->getValue<std::string>("method") == "PUT");
    CHECK(moved.json()->getValue<std::string>("body") == "{}");

    // A POST could be applied at both places: the 307 is the answer.
    const auto post = http.send(following(HttpRequest::post(server.base_url() + "/old/1").form({{"a", "1"}})));
    CHECK(post.status == 307);
    CHECK(server.count("POST", "/new/{id}") == 0);
    CHECK(classify(post).applied == Classification::Applied::no);
}

TEST_CASE("support redirects: a redirect to another host is not followed, and no credentials go there", "[support][redirect]") {
    EmulatorServer other;
    other.route("GET", "/steal", echo());
    other.start();
    // The same machine under another name: another origin all the same.
    const auto elsewhere = "http://localhost:" + std::to_string(other.port()) + "/steal";
    EmulatorServer api;
    api.route("GET", "/report", redirect(302, elsewhere));
    api.start();

    HttpClientOptions options;
    options.credentials = Credentials::basic(api.base_url(), "alice", "s3cret-pass");
    HttpClient http(options);
    const auto r = http.send(following(HttpRequest::get(api.base_url() + "/report")));
    CHECK(r.status == 302);
    CHECK(other.requests().empty());
    const auto c = classify(r, doing("report download"));
    CHECK(c.status == RELAIS_PERMANENT);
    CHECK_THAT(c.message, Catch::Contains("redirected to another host (localhost): not followed, credentials are never sent there"));
    CHECK_THAT(c.message, !Catch::Contains("s3cret"));

    // Even sent there on purpose, the request carries no credentials of another origin.
    const auto direct = http.send(HttpRequest::get(elsewhere));
    CHECK(direct.json()->getValue<std::string>("authorization").empty());
    REQUIRE(api.requests().size() == 1);
    CHECK(api.requests()[0].headers.get("Authorization", "").rfind("Basic ", 0) == 0);
}

TEST_CASE("support redirects: a redirect loop ends after max_redirects with the last 3xx", "[support][redirect]") {
    EmulatorServer server;
    server.route("GET", "/loop", redirect(302, "/loop"));
    server.start();
    HttpClient http;
    auto request = following(HttpRequest::get(server.base_url() + "/loop"));
    request.max_redirects = 3;
    const auto r = http.send(request);
    CHECK(r.status == 302);
    CHECK(r.redirects_followed == 3);
    CHECK(server.count("GET", "/loop") == 4);
    CHECK_THAT(classify(r).message, Catch::Contains("not followed after 3 redirects"));
}
