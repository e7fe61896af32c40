// Throttling and refusals through the plugin, against the emulator: a storm of calls on one
// mailbox (every call ends, Graph never sees more than 4 at once per mailbox), impersonation
// denied, an expired token renewed once, the token endpoint's refusals (wrong tenant, wrong
// secret) naming the setting in the Test button's token step, a test mailbox that does not
// exist, and EWS blocked for the tenant (forbidden, suggesting the Graph backend).
#include "exchange_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <future>
#include <thread>

using namespace relais;
using namespace relais::test;
using namespace std::chrono;
using namespace std::chrono_literals;
namespace ee = relais::exchange_emulator;

namespace {

Poco::JSON::Array::Ptr steps(const host::CallResult &r) { return parse(r.body)->getArray("steps"); }

// The first failed step of a Test report (null when none).
Poco::JSON::Object::Ptr failed_step(const host::CallResult &r) {
    if (r.body.empty()) return nullptr;
    const auto list = steps(r);
    for (unsigned i = 0; list && i < list->size(); ++i)
        if (!list->getObject(i)->getValue<bool>("ok")) return list->getObject(i);
    return nullptr;
}

std::string week_of(const std::string &mailbox) {
    return R"({"mailbox":)" + json_string(mailbox) + R"(,"from":")" + date_text(day_from_today(1)) + R"(","to":")" +
           date_text(day_from_today(8)) + "\"}";
}

struct Outcome {
    relais_status status = RELAIS_OK;
    std::string message;
    int attempts = 0;
    bool retry_after_given = true;  // every rate_limited answer had a wait
};

// A caller that retries after rate_limited, as the ERP would, at most `attempts` times.
Outcome caller(ExchangeHarness &h, const std::string &input, int attempts) {
    Outcome o;
    for (; o.attempts < attempts;) {
        ++o.attempts;
        const auto r = h.call("list_events", input);
        o.status = r.status;
        o.message = r.message;
        if (r.status != RELAIS_RATE_LIMITED) return o;
        if (r.retry_after_ms == 0) o.retry_after_given = false;
        std::this_thread::sleep_for(std::min(milliseconds(r.retry_after_ms), milliseconds(1500)));
    }
    return o;
}

}  // namespace

TEST_CASE("exchange throttling storm: every call ends, Graph sees at most 4 at once per mailbox",
          "[exchange][throttling]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    // 0: no fault injected; 1: the first answers throttled (429 / ErrorServerBusy with its
    // BackOffMilliseconds); 2: 503s without Retry-After (the connector's fallback wait).
    const int mode = GENERATE(0, 1, 2);
    auto o = exchange_options(variant);
    o.emulator = [mode](ee::ExchangeEmulatorOptions &e) {
        e.latency = 40ms;
        e.retry_after = mode == 2 ? 0s : 1s;
        e.back_off = 300ms;
        e.graph.throttle_retry_after = 1s;
    };
    ExchangeHarness h(o);
    const auto t = day_from_today(2) + 9h;
    for (int i = 0; i < 5; ++i) h.add_event(kAlice, "Busy " + std::to_string(i), t + hours(i));
    const auto input = week_of(kAlice);
    h.ok("list_events", input);  // the token, once
    INFO("mode " << mode);
    if (mode == 1) {
        if (h.graph())
            h.emulator().fail_next(ee::Failure::too_many_requests, 6, h.list_operation());
        else
            h.emulator().fail_next(ee::Failure::server_busy, 6, h.list_operation());
    }
    if (mode == 2) h.emulator().fail_next(ee::Failure::unavailable, 4, h.list_operation());

    std::vector<std::future<Outcome>> callers;
    for (int i = 0; i < 8; ++i) callers.push_back(std::async(std::launch::async, [&] { return caller(h, input, 8); }));
    for (auto &c : callers) REQUIRE(c.wait_for(60s) == std::future_status::ready);
    for (auto &c : callers) {
        const auto outcome = c.get();
        INFO(outcome.attempts << " attempts: " << outcome.message);
        CHECK((outcome.status == RELAIS_OK || outcome.status == RELAIS_RATE_LIMITED));
        CHECK(outcome.status == RELAIS_OK);
        CHECK(outcome.retry_after_given);
    }
    if (h.graph()) {
        CHECK(h.emulator().peak_graph_concurrency(kAlice) <= 4);
        CHECK(h.emulator().peak_graph_concurrency(kAlice) >= 2);
    }
}

TEST_CASE("exchange throttling: a rate_limited answer says the wait and names the mailbox", "[exchange][throttling]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    auto o = exchange_options(variant);
    o.emulator = [](ee::ExchangeEmulatorOptions &e) {
        e.retry_after = 7s;
        e.back_off = 4500ms;
        e.graph.throttle_retry_after = 7s;
    };
    ExchangeHarness h(o);
    h.ok("list_events", week_of(kAlice));
    if (h.graph())
        h.emulator().fail_next(ee::Failure::too_many_requests, 1, h.list_operation());
    else
        h.emulator().fail_next(ee::Failure::server_busy, 1, h.list_operation());
    const auto r = h.call("list_events", week_of(kAlice));
    INFO(r.message);
    CHECK(r.status == RELAIS_RATE_LIMITED);
    CHECK(r.retry_after_ms == (h.graph() ? 7000u : 4500u));
    CHECK_THAT(r.message, Catch::Contains(kAlice));
}

TEST_CASE("exchange: impersonation denied is forbidden with the hint, in calls and the Test button",
          "[exchange][auth]") {
    // ews: the on-premises account with impersonation; ews-delegate: the same account as a delegate.
    const std::string variant = GENERATE(as<std::string>{}, "graph", "ews-oauth", "ews", "ews-delegate");
    if (!runs_on(variant)) return;
    // The application (RBAC for Applications) and the on-premises account reach bob only.
    auto o = exchange_options(variant, variant == "ews" ? R"({"impersonation":true})" : "{}");
    o.emulator = [](ee::ExchangeEmulatorOptions &e) {
        e.applications.front().mailboxes = {"bob@contoso.com"};
        e.accounts.front().may_open = {"bob@contoso.com"};
    };
    ExchangeHarness h(o);
    const auto r = h.test();
    INFO(r.body << " " << r.message);
    CHECK(r.status == RELAIS_FORBIDDEN);
    const auto step = failed_step(r);
    REQUIRE(step);
    CHECK(step->getValue<std::string>("name") == "mailbox");
    CHECK_THAT(step->getValue<std::string>("message"), Catch::Contains(kAlice));
    if (variant == "ews")
        CHECK_THAT(step->getValue<std::string>("message"), Catch::Contains("mpersonation"));
    else if (variant != "ews-delegate")
        CHECK_THAT(step->getValue<std::string>("message"), Catch::Contains("RBAC for Applications"));

    const auto call = h.call("list_events", week_of(kAlice));
    INFO(call.message);
    CHECK(call.status == RELAIS_FORBIDDEN);
    CHECK_THAT(call.message, Catch::Contains(kAlice));
    h.ok("list_events", week_of(kBob));
}

TEST_CASE("exchange: an expired token is renewed once", "[exchange][auth]") {
    const std::string variant = GENERATE(as<std::string>{}, "graph", "ews-oauth");
    if (!runs_on(variant)) return;
    ExchangeHarness h(exchange_options(variant));
    h.ok("list_events", week_of(kAlice));
    CHECK(h.emulator().tokens_issued() == 1);
    // The emulator's clock past the token's lifetime (3599 s): it is refused as expired.
    h.clock().advance(3700s);
    h.ok("list_events", week_of(kAlice));
    CHECK(h.emulator().tokens_issued() == 2);
    h.ok("list_events", week_of(kBob));
    CHECK(h.emulator().tokens_issued() == 2);
}

namespace {

// The Test button with an unknown tenant: the token step fails naming tenant_id and AADSTS90002.
void unknown_tenant(const std::string &variant) {
    ExchangeHarness h(exchange_options(variant, R"({"tenant_id":"0b0e5e3a-0000-4000-8000-00000000dead"})"));
    const auto r = h.test();
    INFO(r.body << " " << r.message);
    CHECK_FALSE(r.ok());
    const auto step = failed_step(r);
    REQUIRE(step);
    CHECK(step->getValue<std::string>("name") == "token");
    CHECK_THAT(step->getValue<std::string>("message"), Catch::Contains("AADSTS90002"));
    CHECK(steps(r)->size() == 2);  // configuration, token: the mailbox is not tried
    CHECK_THAT(step->getValue<std::string>("message"), Catch::Contains("tenant_id"));
}

}  // namespace

TEST_CASE("exchange Test button: an unknown tenant (AADSTS90002) names tenant_id, on Graph", "[exchange][auth]") {
    if (runs_on("graph")) unknown_tenant("graph");
}

// Both backends map the token endpoint's AADSTS codes to the setting to fix (exchange_auth).
TEST_CASE("exchange Test button: an unknown tenant (AADSTS90002) names tenant_id, on EWS with OAuth",
          "[exchange][auth]") {
    if (runs_on("ews-oauth")) unknown_tenant("ews-oauth");
}

TEST_CASE("exchange Test button: a wrong secret (AADSTS7000215) names client_secret", "[exchange][auth]") {
    const std::string variant = GENERATE(as<std::string>{}, "graph", "ews-oauth");
    if (!runs_on(variant)) return;
    ExchangeHarness h(exchange_options(variant, R"({"client_secret":"not-the-secret-0042"})"));
    const auto r = h.test();
    INFO(r.body << " " << r.message);
    CHECK(r.status == RELAIS_UNAUTHORIZED);
    const auto step = failed_step(r);
    REQUIRE(step);
    CHECK(step->getValue<std::string>("name") == "token");
    CHECK_THAT(step->getValue<std::string>("message"), Catch::Contains("client_secret"));
    CHECK_THAT(step->getValue<std::string>("message"), Catch::Contains("AADSTS7000215"));
    CHECK_THAT(r.body + r.message, !Catch::Contains("not-the-secret-0042"));
    const auto call = h.call("list_events", week_of(kAlice));
    CHECK(call.status == RELAIS_UNAUTHORIZED);
    CHECK_THAT(call.message + call.detail_json, !Catch::Contains("not-the-secret-0042"));
}

TEST_CASE("exchange Test button: passes, and a test mailbox that does not exist is not_found", "[exchange][auth]") {
    const std::string variant = GENERATE(as<std::string>{}, "graph", "ews-oauth", "ews");
    if (!runs_on(variant)) return;
    {
        ExchangeHarness h(exchange_options(variant));
        const auto r = h.test();
        INFO(r.body << " " << r.message);
        CHECK(r.ok());
    }
    ExchangeHarness h(exchange_options(variant, R"({"test_mailbox":"nobody@contoso.com"})"));
    const auto r = h.test();
    INFO(r.body << " " << r.message);
    CHECK(r.status == RELAIS_NOT_FOUND);
    const auto step = failed_step(r);
    REQUIRE(step);
    CHECK(step->getValue<std::string>("name") == "mailbox");
    CHECK_THAT(step->getValue<std::string>("message"), Catch::Contains("nobody@contoso.com"));
}

TEST_CASE("exchange: EWS blocked for the tenant is forbidden and suggests the Graph backend", "[exchange][auth]") {
    const std::string variant = GENERATE(as<std::string>{}, "ews", "ews-oauth");
    if (!runs_on(variant)) return;
    ExchangeHarness h(exchange_options(variant));
    h.emulator().set_ews_blocked(true);
    const auto r = h.test();
    INFO(r.body << " " << r.message);
    CHECK(r.status == RELAIS_FORBIDDEN);
    CHECK_THAT(r.body, Catch::Contains("graph"));
    const auto call = h.call("list_events", week_of(kAlice));
    INFO(call.message);
    CHECK(call.status == RELAIS_FORBIDDEN);
    CHECK_THAT(call.message, Catch::Contains("graph"));
}

TEST_CASE("exchange: each throttling and server error shape is a retryable class naming the mailbox",
          "[exchange][throttling]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    auto o = exchange_options(variant);
    o.emulator = [](ee::ExchangeEmulatorOptions &e) {
        e.retry_after = 1s;
        e.back_off = 1200ms;
    };
    ExchangeHarness h(o);
    h.ok("list_events", week_of(kAlice));
    struct Shape {
        ee::Failure failure;
        relais_status status;
        uint64_t retry_after_ms;  // 0: any
    };
    const std::vector<Shape> shapes =
        h.graph() ? std::vector<Shape>{{ee::Failure::too_many_requests, RELAIS_RATE_LIMITED, 1000},
                                       {ee::Failure::unavailable, RELAIS_RATE_LIMITED, 1000},
                                       {ee::Failure::server_error, RELAIS_TRANSIENT, 0}}
                  : std::vector<Shape>{{ee::Failure::server_busy, RELAIS_RATE_LIMITED, 1200},
                                       {ee::Failure::server_busy_message, RELAIS_RATE_LIMITED, 1200},
                                       {ee::Failure::exceeded_connection_count, RELAIS_RATE_LIMITED, 0},
                                       {ee::Failure::unavailable, RELAIS_RATE_LIMITED, 1000},
                                       {ee::Failure::server_error, RELAIS_TRANSIENT, 0},
                                       {ee::Failure::error_page_redirect, RELAIS_TRANSIENT, 0}};
    for (const auto &shape : shapes) {
        h.emulator().fail_next(shape.failure, 1, h.list_operation());
        const auto r = h.call("list_events", week_of(kBob));
        INFO("failure " << static_cast<int>(shape.failure) << ": " << r.message);
        CHECK(r.status == shape.status);
        if (shape.retry_after_ms) CHECK(r.retry_after_ms == shape.retry_after_ms);
        if (shape.status == RELAIS_RATE_LIMITED) CHECK(r.retry_after_ms > 0);
        CHECK_THAT(r.message, Catch::Contains(kBob));
        // The quota report of a throttled mailbox holds its next call back; another mailbox goes on.
        h.ok("list_events", week_of(kAlice));
    }
}
