// Universign's failures, each injected into one call by the emulator, as the error class the
// host acts on (retry or not, fix the settings or the input), with Universign's words kept:
// XML-RPC faults (in HTTP 200), HTTP statuses of either API, and error bodies of the shapes
// the reference could not settle (REST: {"error","message"}, problem+json, nothing).
#include "universign_harness.hpp"

#include <catch2/catch.hpp>

using namespace relais;
using namespace relais::test;
using namespace std::chrono_literals;
namespace ue = relais::universign_emulator;

namespace {

UniversignHarnessOptions on(const std::string &api) {
    UniversignHarnessOptions o;
    o.api = api;
    return o;
}

struct Expected {
    int code;
    relais_status status;
    std::string words;  // in the message, "" for none in particular
};

// A transaction completed a minute after its creation, whose status and documents the
// failures are injected into.
std::string completed_transaction(UniversignHarness &h, const std::string &custom_id) {
    const auto created = h.ok("request_signature", simple_input(custom_id));
    h.advance(2min);
    return created->getValue<std::string>("transaction_id");
}

void check_failure(UniversignHarness &h, const Expected &e, const std::string &route, const std::string &action,
                   const std::string &input) {
    CAPTURE(e.code);
    const auto before = h.emulator().calls(route);
    h.emulator().fail_next(e.code, 1, route);
    const auto r = h.call(action, input);
    INFO(r.message);
    CHECK(r.status == e.status);
    CHECK(h.emulator().calls(route) == before + 1);  // one request, the one that failed
    if (!e.words.empty()) CHECK_THAT(r.message, Catch::Contains(e.words));
    if (e.status == RELAIS_TRANSIENT || e.status == RELAIS_RATE_LIMITED) CHECK(r.retry_after_ms > 0);
    // The failure was for that call only: the next one goes through.
    const auto again = h.call(action, input);
    INFO(again.message);
    CHECK(again.ok());
}

}  // namespace

TEST_CASE("universign errors: every XML-RPC fault code as its class, Universign's words in the message",
          "[universign][errors]") {
    UniversignHarness h(on("xmlrpc"));
    const auto tx = completed_transaction(h, "DEV-FAULTS");
    const auto status_input = R"({"transaction_id":)" + json_string(tx) + "}";
    const std::vector<Expected> faults = {
        {73010, RELAIS_UNAUTHORIZED, "password"},
        {73020, RELAIS_INVALID_INPUT, "Injected fault 73020"},
        {73025, RELAIS_NOT_FOUND, "73025"},
        {73027, RELAIS_PERMANENT, "73027"},
        {73040, RELAIS_TRANSIENT, "73040"},
        {73002, RELAIS_TRANSIENT, "73002"},
        {73004, RELAIS_TRANSIENT, "73004"},
        {73011, RELAIS_INVALID_CONFIG, "73011"},
        {73013, RELAIS_INVALID_CONFIG, "73013"},
    };
    for (const auto &e : faults) check_failure(h, e, "requester.getTransactionInfo", "signature_status", status_input);
    // 73070 comes from getDocuments: documents being restored, to be fetched again later.
    check_failure(h, {73070, RELAIS_TRANSIENT, "73070"}, "requester.getDocuments", "fetch_signed", status_input);
}

TEST_CASE("universign errors: HTTP statuses of either API as their class", "[universign][errors]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto tx = completed_transaction(h, "DEV-HTTP");
    const auto status_input = R"({"transaction_id":)" + json_string(tx) + "}";
    std::vector<Expected> statuses = {
        {500, RELAIS_TRANSIENT, "500"},
        {503, RELAIS_TRANSIENT, "503"},
        {401, RELAIS_UNAUTHORIZED, h.xmlrpc() ? "password" : "api_key"},
        {429, RELAIS_RATE_LIMITED, "429"},
    };
    if (!h.xmlrpc()) {
        statuses.push_back({400, RELAIS_INVALID_INPUT, "400"});
        statuses.push_back({422, RELAIS_INVALID_INPUT, "422"});
        statuses.push_back({403, RELAIS_FORBIDDEN, "403"});
        statuses.push_back({404, RELAIS_NOT_FOUND, "404"});
    }
    const auto route = h.xmlrpc() ? "requester.getTransactionInfo" : "GET /v1/transactions/{tx}";
    for (const auto &e : statuses) check_failure(h, e, route, "signature_status", status_input);
}

TEST_CASE("universign errors: REST error bodies of every shape still give a clear message", "[universign][errors]") {
    for (const auto shape : {ue::RestErrorShape::error_message, ue::RestErrorShape::problem_json, ue::RestErrorShape::empty}) {
        DYNAMIC_SECTION("shape " << static_cast<int>(shape)) {
            auto o = on("rest");
            o.emulator = [shape](ue::UniversignEmulatorOptions &e) { e.rest.error_shape = shape; };
            UniversignHarness h(o);
            const auto r = h.call("signature_status", R"({"transaction_id":"tx_unknownTx0001"})");
            INFO(r.message);
            CHECK(r.status == RELAIS_NOT_FOUND);
            CHECK_THAT(r.message, Catch::Contains("404"));
            CHECK_THAT(r.message, Catch::Contains("tx_unknownTx0001"));
            if (shape != ue::RestErrorShape::empty) CHECK_THAT(r.message, Catch::Contains("no transaction tx_unknownTx0001"));
        }
    }
}

TEST_CASE("universign errors: an XML-RPC answer that is not XML-RPC at all is an error saying so, not a crash",
          "[universign][errors]") {
    UniversignHarness h(on("xmlrpc"));
    const auto tx = completed_transaction(h, "DEV-NOT-XMLRPC");
    // HTTP 200 with an empty body, where a methodResponse was due.
    h.emulator().fail_next(200, 1, "requester.getTransactionInfo");
    const auto r = h.call("signature_status", R"({"transaction_id":)" + json_string(tx) + "}");
    INFO(r.message);
    CHECK_FALSE(r.ok());
    CHECK(r.status != RELAIS_INTERNAL);
    CHECK_THAT(r.message, Catch::Contains("Universign"));
    CHECK_THAT(r.message, Catch::Contains("getTransactionInfo"));
}

TEST_CASE("universign errors: an unknown XML-RPC transaction id is not_found, with Universign's fault", "[universign][errors]") {
    UniversignHarness h(on("xmlrpc"));
    const auto r = h.call("signature_status", R"({"transaction_id":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"})");
    INFO(r.message);
    CHECK(r.status == RELAIS_NOT_FOUND);
    CHECK_THAT(r.message, Catch::Contains("73025"));
}
