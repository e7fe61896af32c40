// The small pieces every connector uses: state with a memory fallback, the Test button's
// steps, the "not configured / disabled" guard, and the OAuth2 token kept across restarts.
#include <relais/support/kept_token.hpp>
#include <relais/support/state_store.hpp>
#include <relais/support/test_steps.hpp>

#include <catch2/catch.hpp>

#include "emulator_server.hpp"

#include <Poco/JSON/Parser.h>

#include <atomic>

using namespace relais::support;

TEST_CASE("memory state keeps values in this process only", "[state]") {
    auto state = memory_state();
    CHECK_FALSE(state->durable());
    CHECK_FALSE(state->get("a"));
    state->put("a", "1");
    CHECK(state->get("a") == std::optional<std::string>("1"));
    state->erase("a");
    CHECK_FALSE(state->get("a"));
}

TEST_CASE("a host without a state store gets memory, and is told what a restart forgets", "[state]") {
    // No services at all: every host call answers unsupported.
    relais::Host host(nullptr, nullptr);
    CHECK_FALSE(host_offers_state(host));
    auto state = plugin_state(host, "which invoices were deposited");
    CHECK_FALSE(state->durable());
    state->put("k", "v");
    CHECK(state->get("k") == std::optional<std::string>("v"));
}

TEST_CASE("test steps stop at the first failure, saying what to check by the error's class", "[test-steps]") {
    relais::TestReport report;
    TestSteps steps(report);
    CHECK(steps.configuration(true, true, "enabled"));
    CHECK(steps.run("token", "client_id and client_secret", [] { return std::string("issued"); }));
    CHECK_FALSE(steps.run("account", "technical_login", []() -> std::string {
        throw relais::unauthorized("login refused");
    }));
    bool ran = false;
    CHECK_FALSE(steps.run("structure", "", [&] {
        ran = true;
        return std::string("found");
    }));
    CHECK_FALSE(ran);
    CHECK(report.status() == RELAIS_UNAUTHORIZED);
    CHECK(report.failure_message() == "account: login refused [check: technical_login]");
    const auto json = Poco::JSON::Parser().parse(report.to_json()).extract<Poco::JSON::Object::Ptr>();
    CHECK(json->getArray("steps")->size() == 3);

    relais::TestReport outage;
    TestSteps later(outage);
    CHECK_FALSE(later.run("token", "client_id", []() -> std::string { throw relais::transient("503 from gateway"); }));
    // An outage is not a credentials problem.
    CHECK(outage.failure_message() == "token: 503 from gateway [check: network or service: the URL, a proxy, or an outage]");
    CHECK(outage.status() == RELAIS_TRANSIENT);
}

TEST_CASE("the configuration step and the action guard say not configured or disabled", "[test-steps]") {
    relais::TestReport report;
    TestSteps steps(report);
    CHECK_FALSE(steps.configuration(true, false, ""));
    CHECK(report.failure_message() == "configuration: the connector is disabled (enabled is false)");
    CHECK(report.status() == RELAIS_INVALID_CONFIG);
    try {
        require_usable("chorus", false, false);
        FAIL("no error");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INVALID_CONFIG);
        CHECK(std::string(e.what()) == "the chorus connector has not been configured");
    }
    CHECK_THROWS_WITH(require_usable("chorus", true, false), "the chorus connector is disabled (enabled is false)");
    CHECK_NOTHROW(require_usable("chorus", true, true));
}

namespace {

// A durable store without a host: what one "process" keeps, the next one reads.
class DurableMemory : public StateStore {
public:
    std::optional<std::string> get(const std::string &key) override { return inner_->get(key); }
    void put(const std::string &key, const std::string &value) override { inner_->put(key, value); }
    void erase(const std::string &key) override { inner_->erase(key); }
    bool durable() const override { return true; }
    std::optional<Versioned> read(const std::string &key) override { return inner_->read(key); }
    Written write(const std::string &key, const std::string &value, uint64_t expected_version,
                  std::chrono::milliseconds ttl) override {
        return inner_->write(key, value, expected_version, ttl);
    }
    Page list(const std::string &prefix, const std::optional<std::string> &cursor, uint32_t limit) override {
        return inner_->list(prefix, cursor, limit);
    }

private:
    std::shared_ptr<StateStore> inner_ = memory_state();
};

// Issues token-1, token-2, ... valid an hour, to the client "relais" / "s3cret" only.
struct TokenEndpoint {
    relais::emulator::EmulatorServer server;
    std::atomic<int> issued{0};
    TokenEndpoint() {
        server.route("POST", "/token", [this](const relais::emulator::Request &r) {
            if (r.form_param("client_id") != std::optional<std::string>("relais") ||
                r.form_param("client_secret") != std::optional<std::string>("s3cret"))
                return relais::emulator::Response::json(401, R"({"error":"invalid_client"})");
            return relais::emulator::Response::json(
                200, R"({"access_token":"token-)" + std::to_string(++issued) + R"(","token_type":"Bearer","expires_in":3600})");
        });
        server.start();
    }
};

}  // namespace

TEST_CASE("a kept token is adopted by the next process for the same client only", "[kept-token]") {
    TokenEndpoint endpoint;
    HttpClient http;
    relais::Host host(nullptr, nullptr);
    auto state = std::make_shared<DurableMemory>();
    OAuth2Config config;
    config.token_url = endpoint.server.base_url() + "/token";
    config.client_id = "relais";
    config.client_secret = "s3cret";

    // The first process asks for a token, which is kept.
    CHECK(kept_token_cache(http, config, state, "oauth/token", host)->token().value == "token-1");
    CHECK(endpoint.issued == 1);
    const auto kept = state->get("oauth/token");
    REQUIRE(kept);
    CHECK(kept->find("s3cret") == std::string::npos);  // the secret itself is never kept

    // The next one adopts it: no request.
    auto next = kept_token_cache(http, config, state, "oauth/token", host);
    CHECK(next->token().value == "token-1");
    CHECK(next->requests() == 0);
    CHECK(endpoint.issued == 1);

    // New credentials are tried, not bypassed by the old client's token.
    auto changed = config;
    changed.client_secret = "rotated";
    CHECK_THROWS_AS(kept_token_cache(http, changed, state, "oauth/token", host)->token(), relais::Error);

    // Without durable state it is a plain cache: every process asks.
    CHECK(kept_token_cache(http, config, memory_state(), "oauth/token", host)->token().value == "token-2");
}
