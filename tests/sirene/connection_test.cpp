// The "Test" button: /informations with the key says whether the key is valid and the API up.
#include "sirene_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

using namespace relais;
using namespace relais::test;

namespace {

std::vector<std::pair<std::string, bool>> steps(const host::CallResult &r) {
    std::vector<std::pair<std::string, bool>> out;
    const auto list = parse(r.body)->getArray("steps");
    for (unsigned i = 0; i < list->size(); ++i)
        out.emplace_back(list->getObject(i)->getValue<std::string>("name"), list->getObject(i)->getValue<bool>("ok"));
    return out;
}

std::string step_message(const host::CallResult &r, const std::string &name) {
    const auto list = parse(r.body)->getArray("steps");
    for (unsigned i = 0; i < list->size(); ++i)
        if (list->getObject(i)->getValue<std::string>("name") == name) return list->getObject(i)->getValue<std::string>("message");
    return {};
}

}  // namespace

TEST_CASE("sirene test: a good key and an UP service pass every step", "[sirene][test]") {
    SireneHarness h;
    const auto r = h.instance().test();
    INFO(r.body);
    REQUIRE(r.ok());
    CHECK(steps(r) == std::vector<std::pair<std::string, bool>>{{"configuration", true}, {"api key", true}, {"service state", true}});
    CHECK(step_message(r, "api key") == "INSEE accepted the API key (quota: 29 of 30 requests left in this window)");
    CHECK_THAT(step_message(r, "service state"), Catch::StartsWith("API Sirene 3.11.22 is UP; data published "));
    CHECK(h.emulator().server().count("GET", "/api-sirene/3.11/informations") == 1);
}

TEST_CASE("sirene test: a wrong key fails as unauthorized and says what to check", "[sirene][test]") {
    SireneHarness h;
    REQUIRE(h.configure(R"({"api_key":"wrong-key"})").ok());
    const auto r = h.instance().test();
    CHECK(r.status == RELAIS_UNAUTHORIZED);
    CHECK(steps(r) == std::vector<std::pair<std::string, bool>>{{"configuration", true}, {"api key", false}});
    CHECK_THAT(r.message, Catch::StartsWith("api key: INSEE refused the API key: HTTP 401"));
    CHECK_THAT(r.message, Catch::Contains("check api_key"));
    CHECK_THAT(r.body + r.message, !Catch::Contains("wrong-key"));
}

TEST_CASE("sirene test: maintenance fails the service state step as transient", "[sirene][test]") {
    SireneHarness h;
    h.emulator().set_service_up(false);
    const auto r = h.instance().test();
    CHECK(r.status == RELAIS_TRANSIENT);
    CHECK_THAT(step_message(r, "service state"), Catch::Contains("reports etatService DOWN (Unités Légales DOWN"));
}

TEST_CASE("sirene test: an unreachable INSEE, a disabled connector and a missing key each say so", "[sirene][test]") {
    SireneHarness h;
    h.emulator().stop();
    auto r = h.instance().test();
    CHECK(r.status == RELAIS_TRANSIENT);
    CHECK_THAT(step_message(r, "reach INSEE"), Catch::Contains("connection refused by localhost"));
    REQUIRE(h.configure(R"({"enabled":false})").ok());
    r = h.instance().test();
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("disabled"));
    const auto c = h.configure(R"({"api_key":""})");
    CHECK(c.status == RELAIS_INVALID_CONFIG);
    CHECK(c.message == "api_key is required when enabled is true");
}
