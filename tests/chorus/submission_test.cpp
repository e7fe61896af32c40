// submit_invoice and its tracking: one deposit per invoice and file, whatever fails on the
// way, followed to the final state; rejections and incidents handled as Chorus Pro means them.
#include "chorus_harness.hpp"
#include "facturx_pdf.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <fstream>
#include <sstream>
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

// --- the uncertain deposit: whatever the search for it answers ---------------------------------

namespace {

const auto kNoResultForms = {ce::NoResultForm::code_20000, ce::NoResultForm::empty_list,
                             ce::NoResultForm::http_400_20000};
const char *kSearch = "/cpro/factures/v1/rechercher/fournisseur";

std::string with(const std::string &input, const char *key, bool value) {
    auto o = parse(input);
    o->set(key, value);
    std::ostringstream text;
    o->stringify(text);
    return text.str();
}

// Every job succeeded, the last one saying the invoice is integrated.
void check_integrated(const std::vector<host::CallResult> &results) {
    REQUIRE_FALSE(results.empty());
    for (const auto &r : results) {
        INFO(r.message);
        CHECK(r.ok());
    }
    CHECK(parse(results.back().body)->getValue<std::string>("state") == "integrated");
}

// The record of a submission in plugin state, changed by `edit`, written back.
template <typename Edit> void edit_record(ChorusHarness &h, const std::string &key, Edit edit) {
    const auto text = h.backend().state("submission/" + key);
    REQUIRE(text);
    auto record = parse(*text);
    edit(record);
    std::ostringstream out;
    record->stringify(out);
    h.backend().state_put("chorus", "submission/" + key, out.str());
}

}  // namespace

TEST_CASE("chorus uncertain deposit: a deposit reset before Chorus Pro took it is made once, whatever \"no result\" "
          "looks like",
          "[chorus]") {
    for (const auto form : kNoResultForms) {
        INFO("no-result form " << static_cast<int>(form));
        ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":0})",
                         .processing_delay = 30s});
        h.emulator().set_no_result_form(form);
        h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
        const auto submitted = h.ok("submit_invoice", submit_input("FA-2026-0020", sample_ubl("FA-2026-0020")));
        CHECK(submitted->getValue<std::string>("state") == "unconfirmed");
        CHECK(h.emulator().deposits() == 0);
        check_integrated(h.run_jobs());
        CHECK(deposits_of(h, "FA-2026-0020") == 1);
        CHECK(h.emulator().server().count("POST", kSearch) >= 1);
    }
}

TEST_CASE("chorus uncertain deposit: a lost answer is found once integrated, however the searches before said "
          "\"no result\"",
          "[chorus]") {
    for (const auto form : kNoResultForms) {
        INFO("no-result form " << static_cast<int>(form));
        // The first looks come while the flux is still processed: its invoice is not known yet.
        ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":3600})",
                         .processing_delay = 60s});
        h.emulator().set_no_result_form(form);
        h.emulator().lose_deposit_answers(1);
        h.ok("submit_invoice", submit_input("FA-2026-0021", sample_ubl("FA-2026-0021")));
        const auto results = h.run_jobs();
        check_integrated(results);
        CHECK(results.size() >= 2);  // at least one "no result" before it was found
        CHECK(h.emulator().deposits() == 1);
        CHECK(parse(results.back().body)->getArray("fluxes") == nullptr);  // one flux: not listed again
    }
}

TEST_CASE("chorus uncertain deposit: outages, quotas, timeouts and garbled answers of the search only delay it",
          "[chorus]") {
    enum Failure { server_error, bad_gateway_html, quota, quota_without_retry_after, garbled, timeout, reset };
    const auto failure = GENERATE(server_error, bad_gateway_html, quota, quota_without_retry_after, garbled, timeout,
                                  reset);
    const bool arrived = GENERATE(true, false);
    INFO("failure " << failure << (arrived ? ", the deposit arrived" : ", the deposit never arrived"));
    ChorusHarness h({.settings = std::string(R"({"poll_initial_delay_seconds":10,"read_timeout_seconds":1,)") +
                                 R"("uncertain_deposit_wait_seconds":)" + (arrived ? "3600" : "0") + "}",
                     .processing_delay = 30s});
    if (arrived)
        h.emulator().lose_deposit_answers(1);
    else
        h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    h.ok("submit_invoice", submit_input("FA-2026-0022", sample_ubl("FA-2026-0022")));
    const int times = 3;
    switch (failure) {
    case server_error: h.emulator().server().inject(Fault::server_error().under(kSearch), times); break;
    case bad_gateway_html: h.emulator().inject(ce::InjectedAnswer::gateway_error(502, true).under(kSearch), times); break;
    case quota: h.emulator().inject(ce::InjectedAnswer::too_many_requests(5s).under(kSearch), times); break;
    case quota_without_retry_after:
        h.emulator().inject(ce::InjectedAnswer::too_many_requests(0s).under(kSearch), times);
        break;
    case garbled: h.emulator().server().inject(Fault::malformed_body().under(kSearch), times); break;
    case timeout: h.emulator().server().inject(Fault::hang(1500ms).under(kSearch), times); break;
    case reset: h.emulator().server().inject(Fault::reset().under(kSearch), times); break;
    }
    const auto results = h.run_jobs();
    check_integrated(results);
    CHECK(deposits_of(h, "FA-2026-0022") == 1);
    int delayed = 0;
    for (const auto &r : results) delayed += r.ok() && parse(r.body)->has("last_error");
    CHECK(delayed >= 1);
}

TEST_CASE("chorus uncertain deposit: a refused search dead-letters the job with what to check on the portal, and a "
          "retry picks up",
          "[chorus]") {
    enum Refusal { technical_account, forbidden, business };
    const auto refusal = GENERATE(technical_account, forbidden, business);
    INFO("refusal " << refusal);
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":3600})",
                     .processing_delay = 30s});
    h.emulator().lose_deposit_answers(1);
    const auto submitted = h.ok("submit_invoice", submit_input("FA-2026-0023", sample_ubl("FA-2026-0023")));
    const auto key = submitted->getValue<std::string>("submission_key");
    switch (refusal) {
    case technical_account: h.emulator().inject(ce::InjectedAnswer::technical_account_refused().under(kSearch)); break;
    case forbidden: h.emulator().inject(ce::InjectedAnswer::forbidden().under(kSearch)); break;
    case business:
        h.emulator().inject(ce::InjectedAnswer::business_error(20002, "20002 - Le champ numeroFacture est invalide").under(kSearch));
        break;
    }
    const auto results = h.run_jobs();
    REQUIRE(results.size() == 1);
    const auto &dead = results.front();
    CHECK(dead.status == (refusal == technical_account ? RELAIS_UNAUTHORIZED
                          : refusal == forbidden      ? RELAIS_FORBIDDEN
                                                      : RELAIS_PERMANENT));
    CHECK_THAT(dead.message, Catch::Contains("FA-2026-0023") && Catch::Contains("Chorus Pro portal") &&
                                 Catch::Contains("https://qualif.chorus-pro.gouv.fr") && Catch::Contains("retry this job"));
    CHECK(h.backend().queued() == 0);
    CHECK(parse(dead.detail_json)->getValue<std::string>("state") == "unconfirmed");

    // Fixed, the dead job retried: the lost deposit is found, nothing is sent twice.
    const auto retried = h.call("track_submission", R"({"submission_key":")" + key + "\"}");
    INFO(retried.message);
    REQUIRE(retried.ok());
    check_integrated(h.run_jobs());
    CHECK(h.emulator().deposits() == 1);
}

TEST_CASE("chorus uncertain deposit: searches failing for tracking_max end in a dead letter naming the portal check",
          "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":3600,
                                     "tracking_max_hours":72})",
                     .processing_delay = 30s});
    h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    const auto key =
        h.ok("submit_invoice", submit_input("FA-2026-0024", sample_ubl("FA-2026-0024")))->getValue<std::string>("submission_key");
    // As left by a deposit 73 hours ago whose searches kept failing since.
    edit_record(h, key, [](auto &record) {
        record->set("attempt_started_at", record->template getValue<int64_t>("attempt_started_at") - 73 * 3'600'000LL);
    });
    h.emulator().server().inject(Fault::unavailable().under(kSearch));
    const auto results = h.run_jobs();
    REQUIRE(results.size() == 1);
    CHECK(results.front().status == RELAIS_PERMANENT);
    CHECK_THAT(results.front().message, Catch::Contains("could not be searched for 72 h") &&
                                            Catch::Contains("Chorus Pro portal") && Catch::Contains("FA-2026-0024"));
    CHECK(h.emulator().deposits() == 0);
}

TEST_CASE("chorus uncertain deposit: a deposit running when the host was killed is checked after the restart, then "
          "made once",
          "[chorus]") {
    const bool arrived = GENERATE(true, false);
    const bool rerun_submit = GENERATE(true, false);  // else the tracking job that was depositing runs again
    INFO((arrived ? "the deposit arrived" : "the deposit never arrived")
         << (rerun_submit ? ", submit_invoice re-run" : ", track_submission re-run"));
    const std::string settings = std::string(R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":)") +
                                 (arrived ? "3600" : "0") + "}";
    ChorusHarness h({.settings = settings, .processing_delay = 30s});
    if (arrived)
        h.emulator().lose_deposit_answers(1);
    else
        h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    const auto input = submit_input("FA-2026-0025", sample_ubl("FA-2026-0025"));
    const auto key = h.ok("submit_invoice", with(input, "track", false))->getValue<std::string>("submission_key");
    // The record as saved just before the request went out, the process killed with no answer.
    edit_record(h, key, [](auto &record) {
        record->set("phase", "depositing");
        record->set("state", "new");
    });
    const auto deposits_before = h.emulator().deposits();
    h.restart(settings);

    const auto rerun = rerun_submit ? h.call("submit_invoice", input)
                                    : h.call("track_submission", R"({"submission_key":")" + key + "\"}");
    INFO(rerun.message);
    REQUIRE(rerun.ok());
    CHECK_FALSE(parse(rerun.body)->optValue<bool>("deposited", false));
    // Not re-sent blindly: the submission is only marked unconfirmed, or searched for first.
    if (rerun_submit) CHECK(h.emulator().deposits() == deposits_before);
    else CHECK(h.emulator().server().count("POST", kSearch) == 1);
    check_integrated(h.run_jobs());
    CHECK(deposits_of(h, "FA-2026-0025") == 1);
}

TEST_CASE("chorus uncertain deposit: another file sent under the same invoice number is not taken for the lost one",
          "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":0})",
                     .processing_delay = 30s});
    h.ok("submit_invoice", submit_input("FA-2026-0026", sample_ubl("FA-2026-0026")));
    check_integrated(h.run_jobs());

    // A corrected file under the same number; its deposit is reset before Chorus Pro takes it.
    const auto corrected = sample_ubl("FA-2026-0026") + "\n";
    h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    h.ok("submit_invoice", submit_input("FA-2026-0026", corrected));
    const auto results = h.run_jobs();
    check_integrated(results);
    CHECK(deposits_of(h, "FA-2026-0026") == 2);
    CHECK(h.emulator().deposits_by_file().size() == 2);  // the corrected file went too
    const auto last = parse(results.back().body);
    CHECK(last->getValue<std::string>("flux_number") == h.emulator().fluxes().back().number);
}
