// Every upstream failure maps to the error class a retry policy needs, with a message that
// says what to fix; tokens are cached, kept across restarts and renewed once after a 401.
#include "chorus_harness.hpp"

#include <catch2/catch.hpp>

using namespace relais;
using namespace relais::test;
using relais::emulator::Fault;
namespace ce = relais::chorus_emulator;
using namespace std::chrono_literals;

namespace {
const std::string kFind = std::string(R"({"siret":")") + ce::kBuyerSiret + "\"}";
}

TEST_CASE("chorus errors: quota, outages, business refusals and garbled answers", "[chorus]") {
    ChorusHarness h;
    h.ok("find_structure", kFind);  // token obtained

    h.emulator().server().inject(Fault::too_many_requests(3s).under("/cpro"));
    auto r = h.call("find_structure", kFind);
    CHECK(r.status == RELAIS_RATE_LIMITED);
    CHECK(r.retry_after_ms == 3000);

    h.emulator().server().inject(Fault::unavailable().under("/cpro"));
    r = h.call("find_structure", kFind);
    CHECK(r.status == RELAIS_TRANSIENT);
    CHECK_THAT(r.message, Catch::Contains("503"));

    h.emulator().server().inject(Fault::server_error().under("/cpro"));
    CHECK(h.call("find_structure", kFind).status == RELAIS_TRANSIENT);

    h.emulator().server().inject(Fault::malformed_body().under("/cpro"));
    CHECK(h.call("find_structure", kFind).status == RELAIS_TRANSIENT);

    h.emulator().server().inject(Fault::reset().under("/cpro"));
    CHECK(h.call("find_structure", kFind).status == RELAIS_TRANSIENT);

    // A business refusal (HTTP 400 with codeRetour and libelle): permanent, with the libelle.
    r = h.call("invoice_status", R"({"invoice_id":424242})");
    CHECK(r.status == RELAIS_PERMANENT);
    CHECK_THAT(r.detail_json, Catch::Contains("codeRetour"));

    // Nothing was lost on the way: the next call works.
    h.ok("find_structure", kFind);
}

TEST_CASE("chorus errors: the technical account, the application's subscription and the URLs", "[chorus]") {
    ChorusHarness h;
    REQUIRE(h.configure(R"({"technical_password":"expired-password"})").ok());
    auto r = h.call("find_structure", kFind);
    CHECK(r.status == RELAIS_UNAUTHORIZED);
    CHECK_THAT(r.message, Catch::Contains("technical account") && Catch::Contains("technical_password"));
    CHECK_THAT(r.message, !Catch::Contains("expired-password"));

    REQUIRE(h.configure().ok());
    h.emulator().set_forbidden(true);
    r = h.call("find_structure", kFind);
    CHECK(r.status == RELAIS_FORBIDDEN);
    CHECK_THAT(r.message, Catch::Contains("subscribed"));
    h.emulator().set_forbidden(false);

    REQUIRE(h.configure(R"({"api_url":")" + h.emulator().api_url() + R"(/not-piste"})").ok());
    r = h.call("find_structure", kFind);
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("api_url"));

    // Certificates are verified: without the test CA the emulator is not trusted.
    REQUIRE(h.configure(R"({"ca_file":""})").ok());
    r = h.call("find_structure", kFind);
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("certificate verification failed"));

    REQUIRE(h.configure(R"({"client_secret":"wrong-secret"})").ok());
    r = h.call("find_structure", kFind);
    CHECK(r.status == RELAIS_UNAUTHORIZED);
    CHECK_THAT(r.message, Catch::Contains("OAuth") && Catch::Contains("client id and secret"));
    CHECK_THAT(r.message, !Catch::Contains("wrong-secret"));
}

TEST_CASE("chorus tokens: one per lifetime, renewed once after expiry, kept across a restart", "[chorus]") {
    ChorusHarness h;
    for (int i = 0; i < 5; ++i) h.ok("find_structure", kFind);
    CHECK(h.emulator().token_requests() == 1);

    // The gateway stops accepting it early (revoked, clock skew): one renewal, one retry.
    h.emulator().expire_tokens();
    const auto before = h.emulator().api_requests();
    h.ok("find_structure", kFind);
    CHECK(h.emulator().token_requests() == 2);
    CHECK(h.emulator().api_requests() - before == 3);  // 401, then rechercher and consulter

    // Past its lifetime on the gateway's clock: the 401 is answered by one renewal.
    h.clock().advance(std::chrono::seconds(3700));
    h.ok("find_structure", kFind);
    CHECK(h.emulator().token_requests() == 3);

    // A restarted host finds the token in its plugin state.
    h.restart();
    h.ok("find_structure", kFind);
    CHECK(h.emulator().token_requests() == 3);
    CHECK(h.host_state().state_get("chorus", "oauth/token").has_value());
    CHECK_THAT(*h.host_state().state_get("chorus", "oauth/token"), !Catch::Contains("relais-piste-secret"));
}
