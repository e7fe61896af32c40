// Universign's status pushes through the `status` webhook, as the host hands them over: the
// XML-RPC GET ?id&signer&status and the REST event POST, replayed as the emulator sent them.
// A push for a job's transaction wakes the job (the host's backend records it), which then
// reads the state from the API and ends without waiting its day; a wrong or missing token is
// refused; an id nobody waits for is answered, and known false.
#include "universign_harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace relais;
using namespace relais::test;
using universign_emulator::UniversignEmulator;
using namespace std::chrono_literals;

namespace {

UniversignHarnessOptions on(const std::string &api) {
    UniversignHarnessOptions o;
    o.api = api;
    return o;
}

bool woke(UniversignHarness &h, int64_t job) {
    const auto w = h.host().wakes();
    return std::find(w.begin(), w.end(), job) != w.end();
}

// A push Universign would send for `tx` (the ids of the other API do not matter to a refusal).
PushAnswer push_for(UniversignHarness &h, const std::string &tx, const std::string &token_query) {
    if (h.xmlrpc()) return h.push("GET", token_query + (token_query.empty() ? "" : "&") + "id=" + tx + "&signer=0&status=2");
    const std::string event = R"({"object":"event","id":"evt_relaisTest01","type":"transaction.lifecycle.completed",)"
                              R"("created_at":"2026-03-02T10:01:00Z","payload":{"object":"transaction","id":")" +
                              tx + R"(","state":"completed"}})";
    return h.push("POST", token_query, event);
}

}  // namespace

TEST_CASE("universign push: Universign's push for a waiting job's transaction wakes it, the job then ends at once",
          "[universign][push]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    h.point_pushes_nowhere();
    const auto pdf = signing_pdf(1, "pushed quote");
    const auto input = SignatureInput("DEV-PUSHED").document("devis.pdf", pdf).signer("Alice", "Martin", "alice@x.test").json();
    const auto first = h.job_step(input, 1, std::nullopt);
    INFO(first.message);
    REQUIRE(first.later);
    CHECK(first.later->delay_ms == 86400u * 1000u);  // job_recheck_seconds: pushes and the periodic task come sooner
    const auto tx = parse(first.later->checkpoint)->getValue<std::string>("transaction_id");

    // Alice signs a minute later; Universign pushes.
    h.advance(2min);
    const auto pushes = h.emulator_pushes();
    REQUIRE_FALSE(pushes.empty());
    bool any_woken = false;
    for (const auto &p : pushes) {
        INFO(p.method << " " << p.url << " " << p.body);
        CHECK(p.method == (h.xmlrpc() ? "GET" : "POST"));
        const auto answer = h.replay(p);
        INFO(answer.result.message);
        REQUIRE(answer.result.ok());
        const auto json = answer.json();
        CHECK(json->getValue<std::string>("transaction_id") == tx);
        CHECK(json->getValue<bool>("known"));
        any_woken = any_woken || json->optValue<bool>("woken", false);
    }
    // A push may wake the job itself or enqueue collect_signatures for the transaction, which does.
    const auto queued = h.run_queued();
    for (const auto &r : queued) {
        INFO(r.message);
        CHECK(r.ok());
    }
    CHECK(woke(h, 101));
    CHECK((any_woken || !queued.empty()));

    // Woken: the next step runs now, without the clock moving, and finds the documents.
    JobRun run;
    run.steps.push_back(first);
    run.steps.push_back(h.job_step(input, 2, first.later->checkpoint));
    INFO(run.last().message);
    REQUIRE(run.last().ok());
    REQUIRE_FALSE(run.waiting());
    const auto docs = returned_documents(run.result());
    REQUIRE(docs.size() == 1);
    CHECK(ends_with(docs[0].bytes, UniversignEmulator::signed_marker(tx, 0)));
    CHECK(h.emulator().documents_fetched(tx) == 1);
}

TEST_CASE("universign push: a wrong, missing or unconfigured token is refused, an unknown id is answered known false",
          "[universign][push]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto first = h.job_step(simple_input("DEV-PUSH-AUTH", "alice+never@x.test"), 1, std::nullopt);
    INFO(first.message);
    REQUIRE(first.later);
    const auto tx = parse(first.later->checkpoint)->getValue<std::string>("transaction_id");

    auto a = push_for(h, tx, "token=not-the-token");
    INFO(a.result.message);
    CHECK(a.result.status == RELAIS_UNAUTHORIZED);
    a = push_for(h, tx, "");
    CHECK(a.result.status == RELAIS_UNAUTHORIZED);
    a = push_for(h, tx, "token=");
    CHECK(a.result.status == RELAIS_UNAUTHORIZED);
    CHECK(h.host().wakes().empty());

    // The right token: known, woken.
    a = push_for(h, tx, std::string("token=") + kPushToken);
    INFO(a.result.message);
    REQUIRE(a.result.ok());
    CHECK(a.json()->getValue<bool>("known"));

    // An id this connector never created: 200, known false (Universign would otherwise retry for days).
    const std::string unknown = h.xmlrpc() ? "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0" : "tx_unknownTx0001";
    a = push_for(h, unknown, std::string("token=") + kPushToken);
    INFO(a.result.message);
    REQUIRE(a.result.ok());
    CHECK(a.json()->getValue<std::string>("transaction_id") == unknown);
    CHECK_FALSE(a.json()->getValue<bool>("known"));

    // No callback_token configured: every push is refused, even one with the old token.
    REQUIRE(h.configure(R"({"callback_token":""})").ok());
    a = push_for(h, tx, std::string("token=") + kPushToken);
    CHECK(a.result.status == RELAIS_UNAUTHORIZED);
    a = push_for(h, tx, "token=");
    CHECK(a.result.status == RELAIS_UNAUTHORIZED);
}
