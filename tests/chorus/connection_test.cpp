// The "Test" button: each failure is reported at its step, with what to check.
#include "chorus_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

using namespace relais;
using namespace relais::test;
using relais::emulator::Fault;
using namespace std::chrono_literals;

namespace {

// The steps of a test report as "name:ok" / "name:failed".
std::string steps(const host::CallResult &r) {
    std::string out;
    const auto list = parse(r.body)->getArray("steps");
    for (std::size_t i = 0; list && i < list->size(); ++i) {
        const auto s = list->getObject(i);
        out += (out.empty() ? "" : " ") + s->getValue<std::string>("name") + ":" + (s->getValue<bool>("ok") ? "ok" : "failed");
    }
    return out;
}

std::string last_message(const host::CallResult &r) {
    const auto list = parse(r.body)->getArray("steps");
    return list->getObject(list->size() - 1)->getValue<std::string>("message");
}

}  // namespace

TEST_CASE("chorus test: every step passes against a good configuration", "[chorus]") {
    ChorusHarness h;
    const auto r = h.test();
    INFO(r.body);
    CHECK(r.ok());
    CHECK(steps(r) == "configuration:ok oauth_token:ok health_check:ok structure:ok");
    CHECK(h.emulator().server().count("GET", "/cpro/transverses/v1/health-check") == 1);
}

TEST_CASE("chorus test: says which step failed and what to check", "[chorus]") {
    ChorusHarness h;

    SECTION("OAuth credentials") {
        REQUIRE(h.configure(R"({"client_secret":"nope-nope"})").ok());
        const auto r = h.test();
        CHECK(r.status == RELAIS_UNAUTHORIZED);
        CHECK(steps(r) == "configuration:ok oauth_token:failed");
        CHECK_THAT(last_message(r), Catch::Contains("client_id, client_secret"));
    }
    SECTION("technical account") {
        REQUIRE(h.configure(R"({"technical_login":"TECH_1_other@cpro.fr"})").ok());
        const auto r = h.test();
        CHECK(r.status == RELAIS_UNAUTHORIZED);
        CHECK(steps(r) == "configuration:ok oauth_token:ok health_check:failed");
        CHECK_THAT(last_message(r), Catch::Contains("technical_login, technical_password"));
    }
    SECTION("URL: nothing listens there") {
        const auto port = h.emulator().server().port();
        h.emulator().stop();
        REQUIRE(h.configure().ok());
        const auto r = h.test();
        CHECK(r.status == RELAIS_TRANSIENT);
        CHECK(steps(r) == "configuration:ok oauth_token:failed");
        CHECK_THAT(last_message(r), Catch::Contains("URL") && Catch::Contains(std::to_string(port)));
    }
    SECTION("TLS: the server's certificate is not trusted") {
        REQUIRE(h.configure(R"({"ca_file":""})").ok());
        const auto r = h.test();
        CHECK(r.status == RELAIS_INVALID_CONFIG);
        CHECK_THAT(last_message(r), Catch::Contains("certificate verification failed") && Catch::Contains("TLS"));
    }
    SECTION("quota") {
        h.emulator().server().inject(Fault::too_many_requests(2s).under("/cpro"), 3);
        const auto r = h.test();
        CHECK(r.status == RELAIS_RATE_LIMITED);
        CHECK(steps(r) == "configuration:ok oauth_token:ok health_check:failed");
        CHECK_THAT(last_message(r), Catch::Contains("quota"));
    }
    SECTION("the application is not subscribed to the API") {
        h.emulator().set_forbidden(true);
        const auto r = h.test();
        CHECK(r.status == RELAIS_FORBIDDEN);
        CHECK_THAT(last_message(r), Catch::Contains("subscribed"));
    }
    SECTION("the structure is not on Chorus Pro") {
        REQUIRE(h.configure(R"({"structure_id":"99999999999999"})").ok());
        const auto r = h.test();
        CHECK(r.status == RELAIS_INVALID_CONFIG);
        CHECK(steps(r) == "configuration:ok oauth_token:ok health_check:ok structure:failed");
        CHECK_THAT(last_message(r), Catch::Contains("structure_id 99999999999999"));
    }
    SECTION("disabled") {
        REQUIRE(h.configure(R"({"enabled":false})").ok());
        const auto r = h.test();
        CHECK(r.status == RELAIS_INVALID_CONFIG);
        CHECK(steps(r) == "configuration:failed");
    }
}
