// OAuth2ClientCredentials against a token endpoint on the emulator framework: what it sends,
// caching, renewal before expiry, single flight under concurrency, and refused clients.
#include "emulator_server.hpp"

#include <relais/support/oauth2_client_credentials.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>

using namespace relais;
using namespace relais::support;
using namespace relais::emulator;
using namespace std::chrono_literals;

namespace {

// The old INSEE gateway's answer to a wrong consumer key, as recorded by A6CMO/api_insee
// (MIT; tests/cassettes/test_authentication/test_unauthorized_credentials.yaml).
const char *const kInvalidClientBody =
    R"({"error_description":"A valid OAuth client could not be found for client_id:wrong api key","error":"invalid_client"})";

// A token endpoint that issues "token-1", "token-2", ... with the given lifetime, to the
// client "relais" with secret "s3cret" only.
struct TokenServer {
    EmulatorServer server;
    std::atomic<int> issued{0};
    std::atomic<int> lifetime_seconds{3600};
    std::atomic<bool> failing{false};  // answer 503 (the gateway is down)
    std::mutex mutex;
    Fields last_form;

    TokenServer() {
        server.route("POST", "/oauth/token", [this](const Request &r) {
            {
                std::lock_guard lock(mutex);
                last_form = r.form;
            }
            if (failing) return Response::json(503, R"({"error":"temporarily_unavailable"})");
            if (r.form_param("grant_type") != std::optional<std::string>("client_credentials"))
                return Response::json(400, R"({"error":"unsupported_grant_type"})");
            if (r.form_param("client_id") != std::optional<std::string>("relais") ||
                r.form_param("client_secret") != std::optional<std::string>("s3cret"))
                return Response::json(401, kInvalidClientBody);
            Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
            o->set("access_token", "token-" + std::to_string(++issued));
            o->set("token_type", "Bearer");
            o->set("expires_in", lifetime_seconds.load());
            o->set("scope", r.form_param("scope").value_or(""));
            return Response::json(200, o).header("Cache-Control", "no-store");
        });
        server.start();
    }
    std::string url() const { return server.base_url() + "/oauth/token"; }
    std::size_t requests() const { return server.count("POST", "/oauth/token"); }
};

OAuth2Config config_for(const TokenServer &s, std::string secret = "s3cret") {
    OAuth2Config c;
    c.token_url = s.url();
    c.client_id = "relais";
    c.client_secret = std::move(secret);
    c.scope = "openid";
    return c;
}

// A clock the test moves by hand.
struct ManualClock {
    std::shared_ptr<std::atomic<std::int64_t>> seconds = std::make_shared<std::atomic<std::int64_t>>(0);
    OAuth2ClientCredentials::Clock fn() const {
        auto s = seconds;
        return [s] { return std::chrono::steady_clock::time_point(std::chrono::seconds(s->load())); };
    }
    void advance(int by) { *seconds += by; }
};

}  // namespace

TEST_CASE("support oauth2: the client credentials go in the form body with the grant type and scope", "[support][oauth2]") {
    TokenServer s;
    HttpClient http;
    OAuth2ClientCredentials tokens(http, config_for(s));
    const auto t = tokens.token();
    CHECK(t.value == "token-1");
    CHECK(t.authorization() == "Bearer token-1");
    CHECK(t.scope == "openid");
    std::lock_guard lock(s.mutex);
    const Fields expected{{"grant_type", "client_credentials"}, {"client_id", "relais"}, {"client_secret", "s3cret"},
                          {"scope", "openid"}};
    CHECK(s.last_form == expected);
}

TEST_CASE("support oauth2: a valid token is reused without asking again", "[support][oauth2]") {
    TokenServer s;
    HttpClient http;
    OAuth2ClientCredentials tokens(http, config_for(s));
    for (int i = 0; i < 10; ++i) CHECK(tokens.token().value == "token-1");
    CHECK(s.requests() == 1);
    CHECK(tokens.requests() == 1);
}

TEST_CASE("support oauth2: the token is renewed a margin before it expires", "[support][oauth2]") {
    TokenServer s;
    s.lifetime_seconds = 600;
    HttpClient http;
    ManualClock clock;
    auto config = config_for(s);
    config.renew_before_expiry = std::chrono::seconds(60);
    OAuth2ClientCredentials tokens(http, config, clock.fn());
    CHECK(tokens.token().value == "token-1");
    clock.advance(539);  // 61 s before expiry: still good
    CHECK(tokens.token().value == "token-1");
    clock.advance(2);  // 59 s before expiry: inside the margin
    CHECK(tokens.token().value == "token-2");
    CHECK(s.requests() == 2);

    // A lifetime shorter than twice the margin: renewed at half its life, not at every call.
    s.lifetime_seconds = 40;
    tokens.clear();
    CHECK(tokens.token().value == "token-3");
    clock.advance(19);
    CHECK(tokens.token().value == "token-3");
    clock.advance(2);
    CHECK(tokens.token().value == "token-4");
}

TEST_CASE("support oauth2: eight threads needing a token share one renewal", "[support][oauth2][concurrency]") {
    TokenServer s;
    // The token endpoint is slow, so every thread arrives while the first renewal is in flight.
    s.server.inject(Fault::hang(300ms));
    HttpClient http;
    OAuth2ClientCredentials tokens(http, config_for(s));
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    std::vector<std::future<std::string>> callers;
    for (int t = 0; t < 8; ++t)
        callers.push_back(std::async(std::launch::async, [&tokens, start] {
            start.wait();
            return tokens.token().value;
        }));
    go.set_value();
    for (auto &c : callers) CHECK(c.get() == "token-1");
    CHECK(s.requests() == 1);
}

TEST_CASE("support oauth2: a failed renewal is shared too, and the next call tries again", "[support][oauth2][concurrency]") {
    TokenServer s;
    s.failing = true;
    s.server.inject(Fault::hang(300ms));  // slow, then 503: every thread waits on that one request
    HttpClient http;
    OAuth2ClientCredentials tokens(http, config_for(s));
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    std::vector<std::future<std::string>> callers;
    for (int t = 0; t < 8; ++t)
        callers.push_back(std::async(std::launch::async, [&tokens, start] {
            start.wait();
            try {
                tokens.token();
                return std::string("ok");
            } catch (const Error &e) {
                return std::string(e.what()) + (e.status() == RELAIS_TRANSIENT ? " [transient]" : " [other]");
            }
        }));
    go.set_value();
    for (auto &c : callers) {
        const auto outcome = c.get();
        CHECK_THAT(outcome, Catch::StartsWith("OAuth token request to " + s.url() + ": HTTP 503"));
        CHECK_THAT(outcome, Catch::EndsWith("[transient]"));
    }
    CHECK(s.requests() == 1);
    // The failure is not cached: the next call asks again.
    s.failing = false;
    CHECK(tokens.token().value == "token-1");
    CHECK(s.requests() == 2);
}

TEST_CASE("support oauth2: after a 401 the rejected token is invalidated once", "[support][oauth2]") {
    TokenServer s;
    HttpClient http;
    OAuth2ClientCredentials tokens(http, config_for(s));
    const auto first = tokens.token().value;
    tokens.invalidate(first);
    const auto second = tokens.token().value;
    CHECK(second == "token-2");
    // A late 401 for the old token (another thread's request) does not throw the new one away.
    tokens.invalidate(first);
    CHECK(tokens.token().value == "token-2");
    CHECK(s.requests() == 2);
}

TEST_CASE("support oauth2: a refused client is unauthorized and the message names the OAuth step", "[support][oauth2]") {
    TokenServer s;
    HttpClient http;
    OAuth2ClientCredentials tokens(http, config_for(s, "x9-not-the-secret"));
    try {
        tokens.token();
        FAIL("got a token with a wrong secret");
    } catch (const Error &e) {
        CHECK(e.status() == RELAIS_UNAUTHORIZED);
        const std::string message = e.what();
        CHECK_THAT(message, Catch::StartsWith("OAuth token request to " + s.url() + " refused the client credentials"));
        CHECK_THAT(message, Catch::Contains("invalid_client: A valid OAuth client could not be found"));
        CHECK_THAT(message, !Catch::Contains("x9-not-the-secret"));  // the secret itself never appears
        REQUIRE(e.detail());
        CHECK(e.detail()->getValue<std::string>("step") == "oauth_token");
        CHECK(e.detail()->getValue<std::string>("oauth_error") == "invalid_client");
    }
}

TEST_CASE("support oauth2: HTTP Basic client authentication is available for servers that want it", "[support][oauth2]") {
    EmulatorServer server;
    server.route("POST", "/token", [](const Request &r) {
        // base64("relais:s3cret")
        if (r.header("Authorization") != std::optional<std::string>("Basic cmVsYWlzOnMzY3JldA==") || r.form_param("client_secret"))
            return Response::json(401, kInvalidClientBody);
        return Response::json(200, R"({"access_token":"basic-ok","token_type":"bearer"})");
    });
    server.start();
    HttpClient http;
    OAuth2Config config;
    config.token_url = server.base_url() + "/token";
    config.client_id = "relais";
    config.client_secret = "s3cret";
    config.client_auth = OAuth2Config::ClientAuth::basic_header;
    OAuth2ClientCredentials tokens(http, config);
    const auto t = tokens.token();
    CHECK(t.value == "basic-ok");
    CHECK(t.authorization() == "Bearer basic-ok");
    // No expires_in: the default lifetime applies.
    CHECK(t.expires_at - t.obtained_at == config.default_lifetime);
}

TEST_CASE("support oauth2: an answer without access_token or an incomplete configuration is invalid_config", "[support][oauth2]") {
    EmulatorServer server;
    server.route("POST", "/token", [](const Request &) { return Response::json(200, R"({"hello":"world"})"); });
    server.start();
    HttpClient http;
    OAuth2Config config;
    config.token_url = server.base_url() + "/token";
    config.client_id = "relais";
    config.client_secret = "s3cret";
    OAuth2ClientCredentials tokens(http, config);
    try {
        tokens.token();
        FAIL("accepted");
    } catch (const Error &e) {
        CHECK(e.status() == RELAIS_INVALID_CONFIG);
        CHECK_THAT(e.what(), Catch::Contains("without an access_token"));
    }
    config.client_secret.clear();
    CHECK_THROWS_AS(OAuth2ClientCredentials(http, config), Error);
}

TEST_CASE("support oauth2: a token kept by an earlier process is adopted while it has time left", "[support][oauth2]") {
    TokenServer s;
    HttpClient http;
    std::string saved_value;
    std::chrono::system_clock::time_point saved_expiry{};
    auto config = config_for(s);
    config.renew_before_expiry = std::chrono::seconds(240);
    config.on_token = [&](const std::string &value, const std::string &, std::chrono::system_clock::time_point expires) {
        saved_value = value;
        saved_expiry = expires;
    };
    {
        OAuth2ClientCredentials first(http, config);
        CHECK(first.token().value == "token-1");
    }
    CHECK(saved_value == "token-1");
    const auto left = saved_expiry - std::chrono::system_clock::now();
    CHECK(left > std::chrono::seconds(3500));
    CHECK(left <= std::chrono::seconds(3600));

    // The next process: no request while the kept token is good.
    OAuth2ClientCredentials second(http, config);
    CHECK(second.adopt(saved_value, "Bearer", saved_expiry));
    CHECK(second.token().value == "token-1");
    CHECK(s.requests() == 1);
    CHECK_FALSE(second.adopt("token-x", "Bearer", saved_expiry));  // one is cached already

    // A kept token inside the renewal margin is not worth adopting.
    OAuth2ClientCredentials third(http, config);
    CHECK_FALSE(third.adopt("token-old", "Bearer", std::chrono::system_clock::now() + std::chrono::seconds(100)));
    CHECK_FALSE(third.adopt("", "Bearer", saved_expiry));
    CHECK(third.token().value == "token-2");
}
