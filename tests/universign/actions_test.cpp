// The synchronous actions around a transaction, on both APIs: signature_status by transaction
// id and by custom_id, fetch_signed before and after completion, cancel_signature, and
// remind_signers (XML-RPC's relaunchTransaction; REST has none). And the Test button, with
// right and wrong credentials (XML-RPC refusing a login in either of its two ways).
#include "universign_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <filesystem>

using namespace relais;
using namespace relais::test;
using universign_emulator::UniversignEmulator;
using namespace std::chrono_literals;
namespace ue = relais::universign_emulator;

namespace {

UniversignHarnessOptions on(const std::string &api) {
    UniversignHarnessOptions o;
    o.api = api;
    return o;
}

std::string by_id(const std::string &tx) { return R"({"transaction_id":)" + json_string(tx) + "}"; }
std::string by_custom_id(const std::string &id) { return R"({"custom_id":)" + json_string(id) + "}"; }

Poco::JSON::Array::Ptr steps(const host::CallResult &r) { return parse(r.body)->getArray("steps"); }

}  // namespace

TEST_CASE("universign signature_status: by transaction_id and by custom_id, waiting then completed", "[universign][status]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto input = SignatureInput("DEV-STATUS")
                           .document("devis.pdf", signing_pdf(1, "status"), {{1, 100, 200, "0"}, {1, 300, 200, "1"}})
                           .signer("Alice", "Martin", "alice@x.test")
                           .signer("Bob", "Durand", "bob@x.test")
                           .json();
    const auto tx = h.ok("request_signature", input)->getValue<std::string>("transaction_id");

    for (const auto &query : {by_id(tx), by_custom_id("DEV-STATUS")}) {
        CAPTURE(query);
        const auto s = h.ok("signature_status", query);
        CHECK(s->getValue<std::string>("transaction_id") == tx);
        CHECK(s->getValue<std::string>("state") == "waiting_signers");
        CHECK(s->getValue<std::string>("universign_state") == (h.xmlrpc() ? "ready" : "started"));
        CHECK(s->getValue<std::string>("custom_id") == "DEV-STATUS");
        CHECK_FALSE(s->getValue<std::string>("created_at").empty());
        CHECK(s->has("current_signer"));
        CHECK(s->optValue<int>("current_signer", -1) == 0);
        const auto signers = s->getArray("signers");
        REQUIRE(signers->size() == 2);
        const auto alice = signers->getObject(0);
        CHECK(alice->getValue<int>("index") == 0);
        CHECK(alice->getValue<std::string>("email") == "alice@x.test");
        CHECK(alice->getValue<std::string>("first_name") == "Alice");
        CHECK(alice->getValue<std::string>("last_name") == "Martin");
        CHECK(alice->getValue<std::string>("role") == "signer");
        CHECK_FALSE(alice->getValue<std::string>("state").empty());
        CHECK(signers->getObject(1)->getValue<std::string>("email") == "bob@x.test");
    }
    // Alice signs after a minute: Bob's turn.
    h.advance(90s);
    auto s = h.ok("signature_status", by_custom_id("DEV-STATUS"));
    CHECK(s->getValue<std::string>("state") == "waiting_signers");
    CHECK(s->optValue<int>("current_signer", -1) == 1);
    // XML-RPC dates each signer's action (actionDate); REST's participants carry no date.
    if (h.xmlrpc()) CHECK(s->getArray("signers")->getObject(0)->has("action_date"));
    CHECK(s->getArray("signers")->getObject(0)->getValue<std::string>("state") == (h.xmlrpc() ? "signed" : "closed"));
    h.advance(2min);
    s = h.ok("signature_status", by_id(tx));
    CHECK(s->getValue<std::string>("state") == "completed");
    CHECK(s->getValue<std::string>("universign_state") == "completed");
    // Status looks fetch nothing.
    CHECK(h.emulator().documents_fetched(tx) == 0);

    // Unknown custom_id: not_found.
    const auto r = h.call("signature_status", by_custom_id("DEV-NEVER-SENT"));
    INFO(r.message);
    CHECK(r.status == RELAIS_NOT_FOUND);
}

TEST_CASE("universign fetch_signed: permanent before completion, the signed documents after", "[universign][fetch]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto tx = h.ok("request_signature", simple_input("DEV-FETCH"))->getValue<std::string>("transaction_id");
    const auto early = h.call("fetch_signed", by_id(tx));
    INFO(early.message);
    CHECK(early.status == RELAIS_PERMANENT);
    h.advance(2min);
    for (const auto &query : {by_id(tx), by_custom_id("DEV-FETCH")}) {
        const auto f = h.ok("fetch_signed", query);
        CHECK(f->getValue<std::string>("transaction_id") == tx);
        const auto docs = returned_documents(f);
        REQUIRE(docs.size() == 1);
        CHECK(docs[0].name == "devis.pdf");
        CHECK(ends_with(docs[0].bytes, UniversignEmulator::signed_marker(tx, 0)));
        CHECK(docs[0].size == static_cast<int64_t>(docs[0].bytes.size()));
    }
}

TEST_CASE("universign cancel_signature: the transaction canceled, and its status says so", "[universign][cancel]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto tx =
        h.ok("request_signature", simple_input("DEV-CANCEL", "alice+never@x.test"))->getValue<std::string>("transaction_id");
    const auto c = h.ok("cancel_signature", by_custom_id("DEV-CANCEL"));
    CHECK(c->getValue<std::string>("transaction_id") == tx);
    CHECK(c->getValue<std::string>("state") == "canceled");
    CHECK(h.emulator().status_of(tx) == std::optional<std::string>(h.xmlrpc() ? "canceled" : "cancelled"));
    const auto s = h.ok("signature_status", by_id(tx));
    CHECK(s->getValue<std::string>("state") == "canceled");
    CHECK(s->getValue<std::string>("universign_state") == (h.xmlrpc() ? "canceled" : "cancelled"));
    // A job following it ends dead, naming the state.
    const auto run = h.run_job(simple_input("DEV-CANCEL", "alice+never@x.test"));
    INFO(run.last().message);
    CHECK(run.last().status == RELAIS_PERMANENT);
    CHECK_THAT(run.last().message, Catch::Contains("canceled"));
    CHECK(h.emulator().transactions_created("DEV-CANCEL") == 1);
}

TEST_CASE("universign remind_signers: XML-RPC relaunches the transaction, REST says it cannot", "[universign][remind]") {
    SECTION("xmlrpc") {
        UniversignHarness h(on("xmlrpc"));
        const auto tx =
            h.ok("request_signature", simple_input("DEV-REMIND", "alice+never@x.test"))->getValue<std::string>("transaction_id");
        const auto r = h.ok("remind_signers", by_id(tx));
        CHECK(r->getValue<std::string>("transaction_id") == tx);
        CHECK(r->getValue<bool>("reminded"));
        CHECK(h.emulator().calls("requester.relaunchTransaction") == 1);
        CHECK(h.ok("remind_signers", by_custom_id("DEV-REMIND"))->getValue<bool>("reminded"));
        CHECK(h.emulator().calls("requester.relaunchTransaction") == 2);
    }
    SECTION("rest") {
        UniversignHarness h(on("rest"));
        const auto tx =
            h.ok("request_signature", simple_input("DEV-REMIND", "alice+never@x.test"))->getValue<std::string>("transaction_id");
        const auto before = h.upstream_requests();
        const auto r = h.call("remind_signers", by_id(tx));
        INFO(r.message);
        CHECK(r.status == RELAIS_UNSUPPORTED);
        CHECK_THAT(r.message, Catch::Contains("REST"));
        CHECK(h.upstream_requests() == before);
    }
}

TEST_CASE("universign test: the right credentials pass, naming the API and its URL", "[universign][test]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto r = h.test();
    INFO(r.body << " " << r.message);
    REQUIRE(r.ok());
    const auto s = steps(r);
    REQUIRE(s->size() == 2);
    CHECK(s->getObject(0)->getValue<std::string>("name") == "configuration");
    CHECK(s->getObject(1)->getValue<std::string>("name") == "credentials");
    const auto message = s->getObject(1)->getValue<std::string>("message");
    CHECK_THAT(message, Catch::Contains(h.xmlrpc() ? "XML-RPC" : "REST"));
    CHECK_THAT(message, Catch::Contains(h.xmlrpc() ? h.emulator().xmlrpc_url() : h.emulator().rest_url()));
    CHECK(h.emulator().transactions_created() == 0);
}

TEST_CASE("universign test: a wrong password (refused by HTTP 401 or by fault 73010) or API key fails unauthorized",
          "[universign][test]") {
    SECTION("xmlrpc, HTTP 401") {
        UniversignHarnessOptions o = on("xmlrpc");
        o.settings = R"({"password":"not-the-password"})";
        UniversignHarness h(o);
        const auto r = h.test();
        INFO(r.body << " " << r.message);
        CHECK(r.status == RELAIS_UNAUTHORIZED);
        CHECK_THAT(r.body + r.message, Catch::Contains("password"));
        CHECK_THAT(r.body + r.message, !Catch::Contains("not-the-password"));
    }
    SECTION("xmlrpc, fault 73010") {
        UniversignHarnessOptions o = on("xmlrpc");
        o.settings = R"({"password":"not-the-password"})";
        o.emulator = [](ue::UniversignEmulatorOptions &e) { e.xmlrpc.auth_failure = ue::XmlRpcAuthFailure::fault_73010; };
        UniversignHarness h(o);
        const auto r = h.test();
        INFO(r.body << " " << r.message);
        CHECK(r.status == RELAIS_UNAUTHORIZED);
        CHECK_THAT(r.body + r.message, Catch::Contains("password"));
        // And a call, not only the Test button.
        const auto call = h.call("signature_status", R"({"transaction_id":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"})");
        CHECK(call.status == RELAIS_UNAUTHORIZED);
    }
    SECTION("rest") {
        UniversignHarnessOptions o = on("rest");
        o.settings = R"({"api_key":"not-the-api-key"})";
        UniversignHarness h(o);
        const auto r = h.test();
        INFO(r.body << " " << r.message);
        CHECK(r.status == RELAIS_UNAUTHORIZED);
        CHECK_THAT(r.body + r.message, Catch::Contains("api_key"));
        CHECK_THAT(r.body + r.message, !Catch::Contains("not-the-api-key"));
    }
}

TEST_CASE("universign signature_status: the custom_id comes back whichever key (or none) XML-RPC's TransactionInfo uses",
          "[universign][status]") {
    for (const auto key : {ue::CustomIdKey::customer_id, ue::CustomIdKey::custom_id, ue::CustomIdKey::absent}) {
        DYNAMIC_SECTION("key " << static_cast<int>(key)) {
            UniversignHarnessOptions o = on("xmlrpc");
            o.emulator = [key](ue::UniversignEmulatorOptions &e) { e.xmlrpc.custom_id_key = key; };
            UniversignHarness h(o);
            const auto tx = h.ok("request_signature", simple_input("DEV-KEY"))->getValue<std::string>("transaction_id");
            CHECK(h.ok("signature_status", by_id(tx))->getValue<std::string>("custom_id") == "DEV-KEY");
            CHECK(h.ok("signature_status", by_custom_id("DEV-KEY"))->getValue<std::string>("transaction_id") == tx);
            // And a job following it ends with the file named after it.
            h.advance(2min);
            const auto run = h.run_job(simple_input("DEV-KEY"));
            INFO(run.last().message);
            REQUIRE(run.last().ok());
            CHECK(run.result()->getValue<std::string>("custom_id") == "DEV-KEY");
            CHECK(std::filesystem::exists(h.output_dir() / "DEV-KEY.pdf"));
        }
    }
}

TEST_CASE("universign settings: a missing output_directory or credential is refused, naming the setting",
          "[universign][settings]") {
    UniversignHarness h(on("xmlrpc"));
    auto r = h.configure(R"({"output_directory":"/nonexistent/relais-signed"})");
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("output_directory"));
    r = h.configure(R"({"password":""})");
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("password"));
    r = h.configure(R"({"api":"rest","api_key":""})");
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("api_key"));
    // Disabled, it may be saved half-filled.
    CHECK(h.configure(R"({"enabled":false,"password":""})").ok());
}
