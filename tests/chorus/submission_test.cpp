// submit_invoice and its tracking: one deposit per invoice and file, whatever fails on the
// way, followed to the final state; rejections and incidents handled as Chorus Pro means them.
#include "chorus_harness.hpp"
#include "facturx_pdf.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <fstream>
#include <thread>

using namespace relais;
using namespace relais::test;
using relais::emulator::Fault;
namespace ce = relais::chorus_emulator;
using namespace std::chrono_literals;

namespace {

const char *kFast = R"({"poll_initial_delay_seconds":10,"poll_max_delay_seconds":40})";

int deposits_of(ChorusHarness &h, const std::string &invoice_number) {
    int n = 0;
    for (const auto &f : h.emulator().fluxes()) n += f.invoice_number == invoice_number;
    return n;
}

}  // namespace

TEST_CASE("chorus submit_invoice: deposited once, followed to IN_INTEGRE, invoice ids in the result", "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 60s});
    const auto submitted = h.ok("submit_invoice", submit_input("FA-2026-0001", sample_ubl()));
    CHECK(submitted->getValue<bool>("deposited"));
    CHECK(submitted->getValue<std::string>("state") == "received");
    CHECK(submitted->getValue<std::string>("syntax") == "IN_DP_E1_UBL_INVOICE");
    CHECK(submitted->has("tracking_job_id"));
    const auto key = submitted->getValue<std::string>("submission_key");
    REQUIRE(h.backend().queued() == 1);

    // Tracking: 10 s, 20 s, 40 s, 40 s ... until the flux is integrated at 60 s.
    const auto results = h.run_jobs();
    REQUIRE_FALSE(results.empty());
    for (const auto &r : results) {
        INFO(r.message);
        CHECK(r.ok());
    }
    const auto last = parse(results.back().body);
    CHECK(last->getValue<bool>("final"));
    CHECK(last->getValue<std::string>("state") == "integrated");
    CHECK(last->getValue<std::string>("chorus_state") == "IN_INTEGRE");
    const auto invoices = last->getArray("invoices");
    REQUIRE(invoices->size() == 1);
    CHECK(invoices->getObject(0)->getValue<std::string>("invoice_number") == "FA-2026-0001");
    CHECK(invoices->getObject(0)->getValue<int64_t>("invoice_id") > 0);
    CHECK(results.size() <= 4);  // exponential spacing, not a poll per second
    CHECK(h.backend().queued() == 0);
    CHECK_FALSE(h.backend().state("file/" + last->getValue<std::string>("file_sha256")).has_value());

    // The same invoice and file again: recognised, not deposited twice.
    const auto again = h.ok("submit_invoice", submit_input("FA-2026-0001", sample_ubl()));
    CHECK_FALSE(again->getValue<bool>("deposited"));
    CHECK(again->getValue<bool>("already_submitted"));
    CHECK(again->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
    const auto status = h.ok("submission_status", R"({"submission_key":")" + key + "\"}");
    CHECK(status->getValue<std::string>("flux_number") == submitted->getValue<std::string>("flux_number"));
    // Or from what the ERP has: its invoice number and the file's hash.
    const auto by_file = h.ok("submission_status", R"({"invoice_number":"FA-2026-0001","file_sha256":")" +
                                                       submitted->getValue<std::string>("file_sha256") + "\"}");
    CHECK(by_file->getValue<std::string>("submission_key") == key);
}

TEST_CASE("chorus submit_invoice: a rejected invoice fails its tracking job with Chorus Pro's reason", "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 30s});
    // A buyer Chorus Pro does not know: accepted at deposit, rejected in processing.
    h.ok("submit_invoice", submit_input("FA-2026-0002", sample_ubl("FA-2026-0002", "21999999900018")));
    const auto results = h.run_jobs();
    REQUIRE_FALSE(results.empty());
    const auto &last = results.back();
    CHECK(last.status == RELAIS_PERMANENT);
    CHECK_THAT(last.message, Catch::Contains("FA-2026-0002") && Catch::Contains("IN_REJETE"));
    CHECK_THAT(last.message, Catch::Contains("destinataire"));
    CHECK(h.backend().queued() == 0);
    // Final: looking again does not resurrect it.
    const auto key = parse(last.detail_json)->getValue<std::string>("submission_key");
    const auto status = h.ok("track_submission", R"({"submission_key":")" + key + "\"}");
    CHECK(status->getValue<std::string>("state") == "rejected");
    CHECK(h.emulator().deposits() == 1);
}

TEST_CASE("chorus submit_invoice: IN_INCIDENTE leads to a new deposit, then integration", "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 30s});
    h.emulator().force_outcome(ce::ForcedOutcome::incident);
    h.ok("submit_invoice", submit_input("FA-2026-0003", sample_ubl("FA-2026-0003")));
    const auto results = h.run_jobs();
    REQUIRE_FALSE(results.empty());
    const auto last = parse(results.back().body);
    CHECK(last->getValue<std::string>("state") == "integrated");
    CHECK(last->getValue<int64_t>("deposits") == 2);
    CHECK(deposits_of(h, "FA-2026-0003") == 2);
    const auto fluxes = last->getArray("fluxes");
    REQUIRE(fluxes->size() == 2);
    CHECK(fluxes->getObject(0)->getValue<std::string>("outcome") == "IN_INCIDENTE");

    // Bounded: with no new deposit allowed, an incident is final and dead-lettered.
    ChorusHarness strict({.settings = R"({"poll_initial_delay_seconds":10,"max_redeposits":0})", .processing_delay = 30s});
    strict.emulator().force_outcome(ce::ForcedOutcome::incident);
    strict.ok("submit_invoice", submit_input("FA-2026-0004", sample_ubl("FA-2026-0004")));
    const auto r = strict.run_jobs();
    CHECK(r.back().status == RELAIS_PERMANENT);
    CHECK_THAT(r.back().message, Catch::Contains("IN_INCIDENTE"));
    CHECK(strict.emulator().deposits() == 1);
}

TEST_CASE("chorus submit_invoice: a deposit whose answer was lost is found, not sent twice", "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":3600})",
                     .processing_delay = 30s});
    h.emulator().lose_deposit_answers(1);
    const auto submitted = h.ok("submit_invoice", submit_input("FA-2026-0005", sample_ubl("FA-2026-0005")));
    CHECK(submitted->getValue<std::string>("state") == "unconfirmed");
    CHECK_FALSE(submitted->getValue<bool>("deposited"));
    CHECK(h.emulator().deposits() == 1);  // it did arrive

    // Submitting again while unsure does not deposit either.
    const auto again = h.ok("submit_invoice", submit_input("FA-2026-0005", sample_ubl("FA-2026-0005")));
    CHECK(again->getValue<bool>("already_submitted"));
    CHECK(h.emulator().deposits() == 1);

    const auto results = h.run_jobs();
    const auto last = parse(results.back().body);
    CHECK(last->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
    CHECK(last->getValue<std::string>("flux_number") == h.emulator().fluxes().front().number);
}

TEST_CASE("chorus submit_invoice: a deposit that never arrived is made again after the wait", "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":0})",
                     .processing_delay = 30s});
    // The connection drops before Chorus Pro takes the request.
    h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    const auto submitted = h.ok("submit_invoice", submit_input("FA-2026-0006", sample_ubl("FA-2026-0006")));
    CHECK(submitted->getValue<std::string>("state") == "unconfirmed");
    CHECK(h.emulator().deposits() == 0);
    const auto results = h.run_jobs();
    const auto last = parse(results.back().body);
    CHECK(last->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
    // It was searched for before the new deposit.
    CHECK(h.emulator().server().count("POST", "/cpro/factures/v1/rechercher/fournisseur") >= 2);
}

TEST_CASE("chorus submit_invoice: a restarted host goes on following from its plugin state", "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 60s});
    h.ok("submit_invoice", submit_input("FA-2026-0007", sample_ubl("FA-2026-0007")));
    h.run_jobs(1);
    h.restart(kFast);
    const auto results = h.run_jobs();
    CHECK(parse(results.back().body)->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
}

TEST_CASE("chorus submit_invoice: bad files are refused before any request", "[chorus]") {
    ChorusHarness h;
    const auto before = h.emulator().api_requests();
    auto r = h.call("submit_invoice", R"({"invoice_number":"F-1","syntax":"ubl","file_base64":"***"})");
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("file_base64"));
    r = h.call("submit_invoice", R"({"invoice_number":"F-1","syntax":"facturx","file_base64":")" + base64(sample_ubl()) + "\"}");
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("%PDF-"));
    r = h.call("submit_invoice", R"({"invoice_number":"F-1","syntax":"IN_DP_E1_CII_FACTURX","file_base64":"PA=="})");
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("IN_DP_E1_CII_FACTURX"));
    r = h.call("submit_invoice", R"({"invoice_number":"F-1","syntax":"ubl","file_base64":""})");
    CHECK(r.status == RELAIS_INVALID_INPUT);
    r = h.call("submit_invoice", R"({"invoice_number":"F-1","syntax":"ubl","file_base64":"PA==","dematerialisation_code":"PAPER"})");
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("dematerialisation_codes"));
    r = h.call("submit_invoice", R"({"invoice_number":"F-1","syntax":"ubl","file_path":"invoice.xml"})");
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("file_directory"));
    CHECK(h.emulator().api_requests() == before);
}

TEST_CASE("chorus submit_invoice: a CII file by path, only from file_directory", "[chorus]") {
    ChorusHarness h;
    const auto inbox = h.dir() / "inbox";
    std::filesystem::create_directories(inbox);
    std::ofstream(inbox / "FA-2026-0008.xml") << sample_cii("FA-2026-0008");
    std::ofstream(h.dir() / "secret.xml") << "<secret/>";
    REQUIRE(h.configure(R"({"file_directory":)" + json_string(inbox.string()) + "}").ok());
    const auto r = h.ok("submit_invoice", R"({"invoice_number":"FA-2026-0008","syntax":"cii","file_path":"FA-2026-0008.xml","track":false})");
    CHECK(r->getValue<std::string>("syntax") == "IN_DP_E1_CII_16B");
    CHECK(r->getValue<std::string>("file_name") == "FA-2026-0008.xml");
    const auto refused = h.call("submit_invoice", R"({"invoice_number":"F-9","syntax":"cii","file_path":"../secret.xml"})");
    CHECK(refused.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(refused.message, Catch::Contains("outside file_directory"));
    CHECK(h.emulator().deposits() == 1);
    h.clock().advance(std::chrono::hours(1));
    const auto report = h.ok("flux_status", R"({"flux_number":")" + r->getValue<std::string>("flux_number") + "\"}");
    CHECK(report->getValue<std::string>("chorus_state") == "IN_INTEGRE");
}

TEST_CASE("chorus submit_invoice: without a job queue the deposit is made and followed by hand", "[chorus]") {
    ChorusHarness h({.with_backend = false});
    const auto r = h.ok("submit_invoice", submit_input("FA-2026-0009", sample_ubl("FA-2026-0009")));
    CHECK(r->getValue<bool>("deposited"));
    CHECK_FALSE(r->has("tracking_job_id"));
    CHECK(h.ok("submit_invoice", submit_input("FA-2026-0009", sample_ubl("FA-2026-0009")))->getValue<bool>("already_submitted"));
    CHECK(h.emulator().deposits() == 1);
}

TEST_CASE("chorus submit_invoice: a Factur-X PDF goes as IN_DP_E2_CII_FACTURX and is integrated", "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 30s});
    const auto pdf = facturx_pdf(sample_cii("FA-2026-0010"));
    const auto r = h.ok("submit_invoice", R"({"invoice_number":"FA-2026-0010","syntax":"facturx","file_base64":")" +
                                              base64(pdf) + "\"}");
    CHECK(r->getValue<std::string>("syntax") == "IN_DP_E2_CII_FACTURX");
    CHECK(r->getValue<std::string>("file_name") == "FA-2026-0010.pdf");
    const auto results = h.run_jobs();
    const auto last = parse(results.back().body);
    CHECK(last->getValue<std::string>("state") == "integrated");
    CHECK(last->getArray("invoices")->getObject(0)->getValue<std::string>("invoice_number") == "FA-2026-0010");
}

TEST_CASE("chorus submit_invoice: a deposit answered after the read timeout is found, not sent twice", "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"read_timeout_seconds":1,
                                     "uncertain_deposit_wait_seconds":3600})",
                     .processing_delay = 30s});
    // Chorus Pro takes the deposit, but answers after the connector stopped waiting.
    h.emulator().server().inject(Fault::hang(2s).under("/cpro/factures/v1/deposer/flux"));
    const auto submitted = h.ok("submit_invoice", submit_input("FA-2026-0011", sample_ubl("FA-2026-0011")));
    CHECK(submitted->getValue<std::string>("state") == "unconfirmed");
    REQUIRE(h.emulator().server().wait_for_count("POST", "/cpro/factures/v1/deposer/flux", 1, 10s));
    // The held request is handled once the hang ends.
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (h.emulator().deposits() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    REQUIRE(h.emulator().deposits() == 1);
    const auto results = h.run_jobs();
    const auto last = parse(results.back().body);
    CHECK(last->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
}
