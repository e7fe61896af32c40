// One custom_id, one Universign transaction: the ERP sending the same request again gets the
// transaction made the first time, and an answer lost on the way (the connection reset after
// Universign created it) is found again on the retry instead of creating a second one.
#include "universign_harness.hpp"

#include <catch2/catch.hpp>

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

// The emulator route whose answer is lost: the call that creates (XML-RPC) or starts (REST).
std::string creating_call(const UniversignHarness &h) {
    return h.xmlrpc() ? "requester.requestTransaction" : "POST /v1/transactions/{tx}/start";
}

}  // namespace

TEST_CASE("universign request_signature: the same custom_id twice gives the first transaction, created false",
          "[universign][idempotence]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto input = simple_input("DEV-TWICE");
    const auto first = h.ok("request_signature", input);
    CHECK(first->getValue<bool>("created"));
    CHECK(first->getValue<std::string>("state") == "waiting_signers");
    CHECK(first->getValue<std::string>("custom_id") == "DEV-TWICE");
    CHECK(first->getArray("signers")->size() == 1);
    if (h.xmlrpc()) CHECK_THAT(first->getValue<std::string>("url"), Catch::Contains("/signature/?id="));
    const auto second = h.ok("request_signature", input);
    CHECK_FALSE(second->getValue<bool>("created"));
    CHECK(second->getValue<std::string>("transaction_id") == first->getValue<std::string>("transaction_id"));
    CHECK(h.emulator().transactions_created("DEV-TWICE") == 1);
    CHECK(h.emulator().transactions_created() == 1);
    // And after a restart of the host, from the connector's records or Universign's.
    h.restart();
    const auto third = h.ok("request_signature", input);
    CHECK_FALSE(third->getValue<bool>("created"));
    CHECK(third->getValue<std::string>("transaction_id") == first->getValue<std::string>("transaction_id"));
    CHECK(h.emulator().transactions_created("DEV-TWICE") == 1);
}

TEST_CASE("universign request_signature: a lost answer fails transient, the retry adopts the transaction made",
          "[universign][idempotence]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto input = simple_input("DEV-LOST");
    h.emulator().lose_next_answers(1, creating_call(h));
    const auto lost = h.call("request_signature", input);
    INFO(lost.message);
    CHECK(lost.status == RELAIS_TRANSIENT);
    CHECK(h.emulator().calls(creating_call(h)) == 1);
    const auto retried = h.ok("request_signature", input);
    const auto tx = retried->getValue<std::string>("transaction_id");
    CHECK(h.emulator().transactions_created("DEV-LOST") == 1);
    if (h.xmlrpc()) {
        CHECK(h.emulator().transaction_by_custom_id("DEV-LOST") == tx);
        CHECK(h.emulator().calls("requester.getTransactionInfoByCustomId") >= 1);
        CHECK(h.emulator().calls("requester.requestTransaction") == 1);
    } else {
        CHECK(h.emulator().status_of(tx) == std::optional<std::string>("started"));
    }
    // It goes on to be signed as any other.
    h.advance(2min);
    const auto status = h.ok("signature_status", R"({"transaction_id":)" + json_string(tx) + "}");
    CHECK(status->getValue<std::string>("state") == "completed");
}

TEST_CASE("universign job: a lost answer at step 1, the step run again adopts the transaction and the job ends",
          "[universign][idempotence][job]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto pdf = signing_pdf(1, "lost quote");
    const auto input = SignatureInput("DEV-LOST-JOB").document("devis.pdf", pdf).signer("Alice", "Martin", "alice@x.test").json();
    h.emulator().lose_next_answers(1, creating_call(h));
    JobRun run;
    run.steps.push_back(h.job_step(input, 1, std::nullopt));
    INFO(run.last().message);
    // Either the step fails transient (the host runs step 1 again) or it continues later by itself.
    std::optional<std::string> checkpoint;
    if (run.last().ok()) {
        REQUIRE(run.waiting());
        checkpoint = run.last().later->checkpoint;
    } else {
        CHECK(run.last().status == RELAIS_TRANSIENT);
    }
    run.steps.push_back(h.job_step(input, checkpoint ? 2 : 1, checkpoint));
    for (int i = 0; i < 10 && run.waiting(); ++i) {
        const auto later = *run.last().later;
        h.advance(std::chrono::milliseconds(later.delay_ms));
        run.steps.push_back(h.job_step(input, static_cast<uint32_t>(run.steps.size() + 1), later.checkpoint));
    }
    INFO(run.last().message);
    REQUIRE(run.last().ok());
    REQUIRE_FALSE(run.waiting());
    CHECK(h.emulator().transactions_created("DEV-LOST-JOB") == 1);
    const auto tx = run.result()->getValue<std::string>("transaction_id");
    const auto docs = returned_documents(run.result());
    REQUIRE(docs.size() == 1);
    CHECK(ends_with(docs[0].bytes, UniversignEmulator::signed_marker(tx, 0)));
}
