// The Test button: the key, and in v2 the model, checked without spending a page.
#include "mindee_harness.hpp"

#include <catch2/catch.hpp>

using namespace relais;
using namespace relais::test;

namespace {

Poco::JSON::Array::Ptr steps(const host::CallResult &r) { return parse(r.body)->getArray("steps"); }

}  // namespace

TEST_CASE("mindee test: v2 finds the key good and the model an extraction model, with no page spent", "[mindee][test]") {
    MindeeHarness h;
    const auto r = h.test();
    INFO(r.body);
    REQUIRE(r.ok());
    const auto s = steps(r);
    REQUIRE(s->size() == 3);
    CHECK_THAT(s->getObject(1)->getValue<std::string>("message"), Catch::Contains("accepted the key"));
    CHECK_THAT(s->getObject(2)->getValue<std::string>("message"), Catch::Contains("Expense receipts"));
    CHECK(h.emulator().pages_billed() == 0);
}

TEST_CASE("mindee test: a wrong key and a wrong model fail at their step, saying what to check", "[mindee][test]") {
    MindeeHarness h;
    h.configure(R"({"api_key":"md_wrong_key_for_this_test"})");
    auto r = h.test();
    INFO(r.body);
    CHECK(r.status == RELAIS_UNAUTHORIZED);
    CHECK_THAT(r.body, Catch::Contains("api_key"));
    CHECK_THAT(r.body, !Catch::Contains("md_wrong_key_for_this_test"));

    h.configure(R"({"model_id":"0f0f0f0f-1111-4222-8333-444444444444"})");
    r = h.test();
    INFO(r.body);
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.body, Catch::Contains("is not among"));
}

TEST_CASE("mindee test: v1 checks the key without a read, and says what it could not check", "[mindee][test]") {
    MindeeHarnessOptions o;
    o.api_version = "v1";
    MindeeHarness h(o);
    auto r = h.test();
    INFO(r.body);
    REQUIRE(r.ok());
    CHECK_THAT(r.body, Catch::Contains("not checked without spending a page"));
    CHECK(h.emulator().pages_billed() == 0);
    h.configure(R"({"api_key":"not-a-v1-key"})");
    r = h.test();
    CHECK(r.status == RELAIS_UNAUTHORIZED);
}

TEST_CASE("mindee settings: contradictions are refused, naming the setting", "[mindee][settings]") {
    MindeeHarness h;
    auto r = h.configure(R"({"url":"https://api.mindee.net/v1"})");
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("api_version is v2"));
    r = h.configure(R"({"model_id":""})");
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("model_id is required"));
    r = h.configure(R"({"poll_initial_delay_ms":5000,"poll_max_delay_ms":1000})");
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("poll_max_delay_ms"));
    // disabled, it may be saved half-filled
    CHECK(h.configure(R"({"enabled":false,"model_id":"","api_key":""})").ok());
}
