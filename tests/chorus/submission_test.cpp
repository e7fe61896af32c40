// submit_invoice as one job: one deposit per invoice and file, whatever fails on the way, the
// job waiting between looks until the flux is final and ending with the outcome; rejections
// and incidents handled as Chorus Pro means them; kills between and during steps.
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

const char *kSecretsInSettings[] = {"relais-piste-secret", "Relais-Tech-2026"};

// Every step but the last continued later (the job waited, nothing ended): the ERP hears of
// the job once, at its end.
void check_one_job(const JobRun &run) {
    REQUIRE_FALSE(run.steps.empty());
    for (std::size_t i = 0; i + 1 < run.steps.size(); ++i) {
        INFO("step " << i + 1 << ": " << run.steps[i].message);
        CHECK(run.steps[i].ok());
        CHECK(run.steps[i].later.has_value());
    }
    CHECK_FALSE(run.last().later.has_value());
}

int deposits_of(ChorusHarness &h, const std::string &invoice_number) {
    int n = 0;
    for (const auto &f : h.emulator().fluxes()) n += f.invoice_number == invoice_number;
    return n;
}

}  // namespace

TEST_CASE("chorus submit_invoice: one job deposits once, waits, and ends with the invoice ids", "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 60s});
    const auto input = submit_input("FA-2026-0001", sample_ubl());
    auto run = h.run_job("submit_invoice", input, 1);
    REQUIRE(run.waiting());
    CHECK(h.emulator().deposits() == 1);
    // The progress the ERP sees: where the submission is, when the next look comes; no secret.
    const auto progress = run.progress();
    const auto key = progress->getValue<std::string>("submission_key");
    CHECK(progress->getValue<std::string>("state") == "received");
    CHECK(progress->getValue<std::string>("flux_number").size() == 25);
    CHECK(progress->has("next_look_at"));
    CHECK(run.last().later->delay_ms == 10'000);
    for (const char *secret : kSecretsInSettings) CHECK(run.last().later->checkpoint.find(secret) == std::string::npos);
    CHECK(run.last().later->checkpoint.find(base64(sample_ubl())) == std::string::npos);

    // Looks at 10 s, then 20 s and 40 s later: integrated at 60 s.
    h.resume(run, "submit_invoice", input);
    check_one_job(run);
    INFO(run.last().message);
    REQUIRE(run.last().ok());
    CHECK(run.steps.size() <= 5);  // exponential spacing, not a look a second
    const auto last = run.result();
    CHECK(last->getValue<bool>("final"));
    CHECK(last->getValue<std::string>("state") == "integrated");
    CHECK(last->getValue<std::string>("chorus_state") == "IN_INTEGRE");
    CHECK(last->getValue<std::string>("submission_key") == key);
    CHECK(last->getValue<std::string>("syntax") == "IN_DP_E1_UBL_INVOICE");
    const auto invoices = last->getArray("invoices");
    REQUIRE(invoices->size() == 1);
    CHECK(invoices->getObject(0)->getValue<std::string>("invoice_number") == "FA-2026-0001");
    CHECK(invoices->getObject(0)->getValue<int64_t>("invoice_id") > 0);
    CHECK(h.host_state().queued() == 0);  // no follow-up jobs: the job itself waited
    CHECK_FALSE(h.host_state().state_get("chorus", "file/" + last->getValue<std::string>("file_sha256")).has_value());
    // The final record expires (submission_retention_days, 400 by default).
    const auto records = h.host_state().keys("submission/");
    REQUIRE(records.size() == 1);
    REQUIRE(records.begin()->second.has_value());
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(h.clock().now().time_since_epoch()).count();
    CHECK(*records.begin()->second - now == 400LL * 86'400'000);

    // The same invoice and file in another job: recognised, its outcome at once, no deposit.
    const auto again = h.run_job("submit_invoice", input);
    REQUIRE(again.steps.size() == 1);
    REQUIRE(again.last().ok());
    CHECK(again.result()->getValue<bool>("already_submitted"));
    CHECK(again.result()->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
    const auto status = h.ok("submission_status", R"({"submission_key":")" + key + "\"}");
    CHECK(status->getValue<std::string>("flux_number") == progress->getValue<std::string>("flux_number"));
    // Or from what the ERP has: its invoice number and the file's hash.
    const auto by_file = h.ok("submission_status", R"({"invoice_number":"FA-2026-0001","file_sha256":")" +
                                                       last->getValue<std::string>("file_sha256") + "\"}");
    CHECK(by_file->getValue<std::string>("submission_key") == key);
}

TEST_CASE("chorus submit_invoice: only as a job, a call that cannot wait is refused before any deposit", "[chorus]") {
    ChorusHarness h({.settings = kFast});
    const auto r = h.call("submit_invoice", submit_input("FA-2026-0030", sample_ubl("FA-2026-0030")));
    CHECK(r.status == RELAIS_UNSUPPORTED);
    CHECK_THAT(r.message, Catch::Contains("job"));
    CHECK(h.emulator().deposits() == 0);
    CHECK(h.instance().descriptor().find_action("submit_invoice")->job_only);
    CHECK(h.instance().descriptor().find_action("submit_invoice")->job_deadline_seconds > 2160u * 3600);
}

TEST_CASE("chorus submit_invoice: a rejected invoice ends the job dead with Chorus Pro's reason", "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 30s});
    // A buyer Chorus Pro does not know: accepted at deposit, rejected in processing.
    const auto input = submit_input("FA-2026-0002", sample_ubl("FA-2026-0002", "21999999900018"));
    const auto run = h.run_job("submit_invoice", input);
    check_one_job(run);
    CHECK(run.last().status == RELAIS_PERMANENT);
    CHECK_THAT(run.last().message, Catch::Contains("FA-2026-0002") && Catch::Contains("IN_REJETE"));
    CHECK_THAT(run.last().message, Catch::Contains("destinataire"));
    const auto detail = parse(run.last().detail_json);
    CHECK(detail->getValue<std::string>("state") == "rejected");
    // Final: another job for it ends the same way at once; looking again does not resurrect it.
    const auto again = h.run_job("submit_invoice", input);
    REQUIRE(again.steps.size() == 1);
    CHECK(again.last().status == RELAIS_PERMANENT);
    CHECK_THAT(again.last().message, Catch::Contains("IN_REJETE"));
    const auto status = h.ok("track_submission", R"({"submission_key":")" + detail->getValue<std::string>("submission_key") + "\"}");
    CHECK(status->getValue<std::string>("state") == "rejected");
    CHECK(h.emulator().deposits() == 1);
}

TEST_CASE("chorus submit_invoice: IN_INCIDENTE leads to a new deposit within the job, then integration", "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 30s});
    h.emulator().force_outcome(ce::ForcedOutcome::incident);
    const auto run = h.run_job("submit_invoice", submit_input("FA-2026-0003", sample_ubl("FA-2026-0003")));
    check_one_job(run);
    REQUIRE(run.last().ok());
    const auto last = run.result();
    CHECK(last->getValue<std::string>("state") == "integrated");
    CHECK(last->getValue<int64_t>("deposits") == 2);
    CHECK(deposits_of(h, "FA-2026-0003") == 2);
    const auto fluxes = last->getArray("fluxes");
    REQUIRE(fluxes->size() == 2);
    CHECK(fluxes->getObject(0)->getValue<std::string>("outcome") == "IN_INCIDENTE");

    // Bounded: with no new deposit allowed, an incident is final and the job dead.
    ChorusHarness strict({.settings = R"({"poll_initial_delay_seconds":10,"max_redeposits":0})", .processing_delay = 30s});
    strict.emulator().force_outcome(ce::ForcedOutcome::incident);
    const auto r = strict.run_job("submit_invoice", submit_input("FA-2026-0004", sample_ubl("FA-2026-0004")));
    CHECK(r.last().status == RELAIS_PERMANENT);
    CHECK_THAT(r.last().message, Catch::Contains("IN_INCIDENTE"));
    CHECK(strict.emulator().deposits() == 1);
}

TEST_CASE("chorus submit_invoice: a deposit whose answer was lost is found, not sent twice", "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":3600})",
                     .processing_delay = 30s});
    h.emulator().lose_deposit_answers(1);
    const auto input = submit_input("FA-2026-0005", sample_ubl("FA-2026-0005"));
    auto run = h.run_job("submit_invoice", input, 1);
    REQUIRE(run.waiting());
    CHECK(run.progress()->getValue<std::string>("state") == "unconfirmed");
    CHECK(h.emulator().deposits() == 1);  // it did arrive

    // Another job for it while unsure does not deposit either.
    const auto other = h.step("submit_invoice", input, 1, std::nullopt, "job-2");
    REQUIRE(other.ok());
    CHECK(other.later.has_value());
    CHECK(h.emulator().deposits() == 1);

    h.resume(run, "submit_invoice", input);
    check_one_job(run);
    REQUIRE(run.last().ok());
    CHECK(run.result()->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
    CHECK(run.result()->getValue<std::string>("flux_number") == h.emulator().fluxes().front().number);
}

TEST_CASE("chorus submit_invoice: a deposit that never arrived is made again after the wait", "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":0})",
                     .processing_delay = 30s});
    // The connection drops before Chorus Pro takes the request.
    h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    const auto run = h.run_job("submit_invoice", submit_input("FA-2026-0006", sample_ubl("FA-2026-0006")));
    check_one_job(run);
    CHECK(parse(run.steps.front().later->checkpoint)->getValue<std::string>("state") == "unconfirmed");
    REQUIRE(run.last().ok());
    CHECK(run.result()->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
    // It was searched for before the new deposit.
    CHECK(h.emulator().server().count("POST", "/cpro/factures/v1/rechercher/fournisseur") >= 2);
}

TEST_CASE("chorus submit_invoice: a host killed during a wait goes on from the checkpoint and its plugin state",
          "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 60s});
    const auto input = submit_input("FA-2026-0007", sample_ubl("FA-2026-0007"));
    auto run = h.run_job("submit_invoice", input, 2);
    REQUIRE(run.waiting());
    h.restart(kFast);  // a new process: only the job's checkpoint and the plugin state remain
    h.resume(run, "submit_invoice", input);
    check_one_job(run);
    REQUIRE(run.last().ok());
    CHECK(run.result()->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
}

TEST_CASE("chorus submit_invoice: a step run again after a kill repeats one look at most, and never deposits twice",
          "[chorus]") {
    const int killed_at = GENERATE(1, 2, 3, 4);  // the step whose end was lost; 1: the deposit
    INFO("step " << killed_at << " killed after its work, before the host recorded it");
    ChorusHarness h({.settings = kFast, .processing_delay = 60s});
    h.emulator().force_outcome(ce::ForcedOutcome::incident);  // a redeposit on the way
    const auto input = submit_input("FA-2026-0012", sample_ubl("FA-2026-0012"));
    auto run = h.run_job("submit_invoice", input, killed_at);
    REQUIRE(run.waiting());
    // The host never heard of step `killed_at`: after the restart it runs it again from the
    // checkpoint before it.
    const auto before = run.steps.size() >= 2 ? std::optional<std::string>(run.steps[run.steps.size() - 2].later->checkpoint)
                                              : std::nullopt;
    run.steps.pop_back();
    h.restart(kFast);
    run.steps.push_back(h.step("submit_invoice", input, static_cast<uint32_t>(run.steps.size() + 1), before));
    h.resume(run, "submit_invoice", input);
    REQUIRE(run.last().ok());
    CHECK(run.result()->getValue<std::string>("state") == "integrated");
    CHECK(deposits_of(h, "FA-2026-0012") == 2);  // the first and the one after IN_INCIDENTE
}

TEST_CASE("chorus submit_invoice: bad files are refused before any request", "[chorus]") {
    ChorusHarness h;
    const auto before = h.emulator().api_requests();
    auto r = h.step("submit_invoice", R"({"invoice_number":"F-1","syntax":"ubl","file_base64":"***"})", 1, std::nullopt);
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("file_base64"));
    r = h.step("submit_invoice", R"({"invoice_number":"F-1","syntax":"facturx","file_base64":")" + base64(sample_ubl()) + "\"}",
               1, std::nullopt);
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("%PDF-"));
    r = h.step("submit_invoice", R"({"invoice_number":"F-1","syntax":"IN_DP_E1_CII_FACTURX","file_base64":"PA=="})", 1,
               std::nullopt);
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("IN_DP_E1_CII_FACTURX"));
    r = h.step("submit_invoice", R"({"invoice_number":"F-1","syntax":"ubl","file_base64":""})", 1, std::nullopt);
    CHECK(r.status == RELAIS_INVALID_INPUT);
    r = h.step("submit_invoice",
               R"({"invoice_number":"F-1","syntax":"ubl","file_base64":"PA==","dematerialisation_code":"PAPER"})", 1,
               std::nullopt);
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("dematerialisation_codes"));
    r = h.step("submit_invoice", R"({"invoice_number":"F-1","syntax":"ubl","file_path":"invoice.xml"})", 1, std::nullopt);
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
    CHECK(r->getValue<bool>("deposited"));
    const auto refused = h.call("submit_invoice", R"({"invoice_number":"F-9","syntax":"cii","file_path":"../secret.xml","track":false})");
    CHECK(refused.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(refused.message, Catch::Contains("outside file_directory"));
    CHECK(h.emulator().deposits() == 1);
    h.clock().advance(std::chrono::hours(1));
    const auto report = h.ok("flux_status", R"({"flux_number":")" + r->getValue<std::string>("flux_number") + "\"}");
    CHECK(report->getValue<std::string>("chorus_state") == "IN_INTEGRE");
}

TEST_CASE("chorus submit_invoice: without a job queue the deposit is made and followed by hand", "[chorus]") {
    ChorusHarness h({.with_backend = false});
    const auto r = h.ok("submit_invoice", submit_input("FA-2026-0009", sample_ubl("FA-2026-0009"), "ubl", false));
    CHECK(r->getValue<bool>("deposited"));
    CHECK(h.ok("submit_invoice", submit_input("FA-2026-0009", sample_ubl("FA-2026-0009"), "ubl", false))
              ->getValue<bool>("already_submitted"));
    CHECK(h.emulator().deposits() == 1);
}

TEST_CASE("chorus submit_invoice: a Factur-X PDF goes as IN_DP_E2_CII_FACTURX and is integrated", "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 30s});
    const auto pdf = facturx_pdf(sample_cii("FA-2026-0010"));
    const auto run = h.run_job("submit_invoice", R"({"invoice_number":"FA-2026-0010","syntax":"facturx","file_base64":")" +
                                                     base64(pdf) + "\"}");
    REQUIRE(run.last().ok());
    const auto last = run.result();
    CHECK(last->getValue<std::string>("syntax") == "IN_DP_E2_CII_FACTURX");
    CHECK(last->getValue<std::string>("file_name") == "FA-2026-0010.pdf");
    CHECK(last->getValue<std::string>("state") == "integrated");
    CHECK(last->getArray("invoices")->getObject(0)->getValue<std::string>("invoice_number") == "FA-2026-0010");
}

TEST_CASE("chorus submit_invoice: a deposit answered after the read timeout is found, not sent twice", "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"read_timeout_seconds":1,
                                     "uncertain_deposit_wait_seconds":3600})",
                     .processing_delay = 30s});
    // Chorus Pro takes the deposit, but answers after the connector stopped waiting.
    h.emulator().server().inject(Fault::hang(2s).under("/cpro/factures/v1/deposer/flux"));
    const auto input = submit_input("FA-2026-0011", sample_ubl("FA-2026-0011"));
    auto run = h.run_job("submit_invoice", input, 1);
    REQUIRE(run.waiting());
    CHECK(run.progress()->getValue<std::string>("state") == "unconfirmed");
    REQUIRE(h.emulator().server().wait_for_count("POST", "/cpro/factures/v1/deposer/flux", 1, 10s));
    // The held request is handled once the hang ends.
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (h.emulator().deposits() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    REQUIRE(h.emulator().deposits() == 1);
    h.resume(run, "submit_invoice", input);
    REQUIRE(run.last().ok());
    CHECK(run.result()->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
}

TEST_CASE("chorus track_submission: a tracking job the previous version left pending follows its submission to the end",
          "[chorus]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 60s});
    // As the previous version left it: deposited by a submit_invoice job that already ended,
    // its tracking job pending.
    const auto deposited = h.ok("submit_invoice", submit_input("FA-2026-0013", sample_ubl("FA-2026-0013"), "ubl", false));
    const auto key = deposited->getValue<std::string>("submission_key");
    const auto input = R"({"submission_key":")" + key + "\"}";
    const auto run = h.run_job("track_submission", input);
    check_one_job(run);  // one job to the end, no new tracking job enqueued
    REQUIRE(run.last().ok());
    CHECK(run.result()->getValue<std::string>("state") == "integrated");
    CHECK(h.host_state().enqueued_total() == 0);
    CHECK(h.emulator().deposits() == 1);
    // Another pending one of the same chain ends at once with the same outcome.
    const auto stale = h.run_job("track_submission", input);
    REQUIRE(stale.steps.size() == 1);
    CHECK(stale.result()->getValue<std::string>("state") == "integrated");
}

// --- the uncertain deposit: whatever the search for it answers ---------------------------------

namespace {

const auto kNoResultForms = {ce::NoResultForm::code_20000, ce::NoResultForm::empty_list,
                             ce::NoResultForm::http_400_20000};
const char *kSearch = "/cpro/factures/v1/rechercher/fournisseur";

// Every step succeeded, the job ending with the invoice integrated.
void check_integrated(const JobRun &run) {
    check_one_job(run);
    INFO(run.last().message);
    REQUIRE(run.last().ok());
    CHECK(run.result()->getValue<std::string>("state") == "integrated");
}

// The record of a submission in plugin state, changed by `edit`, written back.
template <typename Edit> void edit_record(ChorusHarness &h, const std::string &key, Edit edit) {
    const auto text = h.host_state().state_get("chorus", "submission/" + key);
    REQUIRE(text);
    auto record = parse(*text);
    edit(record);
    std::ostringstream out;
    record->stringify(out);
    h.host_state().state_put("chorus", "submission/" + key, out.str());
}

// The dead job retried by the host: its failed step again, from the checkpoint before it.
void retry(ChorusHarness &h, JobRun &run, const std::string &input) {
    const auto n = run.steps.size();
    const auto before = n >= 2 ? std::optional<std::string>(run.steps[n - 2].later->checkpoint) : std::nullopt;
    run.steps.push_back(h.step("submit_invoice", input, static_cast<uint32_t>(n), before));
    h.resume(run, "submit_invoice", input);
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
        auto run = h.run_job("submit_invoice", submit_input("FA-2026-0020", sample_ubl("FA-2026-0020")), 1);
        REQUIRE(run.waiting());
        CHECK(run.progress()->getValue<std::string>("state") == "unconfirmed");
        CHECK(h.emulator().deposits() == 0);
        h.resume(run, "submit_invoice", submit_input("FA-2026-0020", sample_ubl("FA-2026-0020")));
        check_integrated(run);
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
        const auto run = h.run_job("submit_invoice", submit_input("FA-2026-0021", sample_ubl("FA-2026-0021")));
        check_integrated(run);
        CHECK(run.steps.size() >= 3);  // at least one "no result" before it was found
        CHECK(h.emulator().deposits() == 1);
        CHECK(run.result()->getArray("fluxes") == nullptr);  // one flux: not listed again
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
    const auto input = submit_input("FA-2026-0022", sample_ubl("FA-2026-0022"));
    auto run = h.run_job("submit_invoice", input, 1);
    REQUIRE(run.waiting());
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
    h.resume(run, "submit_invoice", input);
    check_integrated(run);
    CHECK(deposits_of(h, "FA-2026-0022") == 1);
    int delayed = 0;
    for (const auto &r : run.steps) delayed += r.ok() && r.later && parse(r.later->checkpoint)->has("last_error");
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
    const auto input = submit_input("FA-2026-0023", sample_ubl("FA-2026-0023"));
    auto run = h.run_job("submit_invoice", input, 1);
    REQUIRE(run.waiting());
    switch (refusal) {
    case technical_account: h.emulator().inject(ce::InjectedAnswer::technical_account_refused().under(kSearch)); break;
    case forbidden: h.emulator().inject(ce::InjectedAnswer::forbidden().under(kSearch)); break;
    case business:
        h.emulator().inject(ce::InjectedAnswer::business_error(20002, "20002 - Le champ numeroFacture est invalide").under(kSearch));
        break;
    }
    h.resume(run, "submit_invoice", input, 1);
    REQUIRE(run.steps.size() == 2);
    const auto dead = run.last();
    CHECK(dead.status == (refusal == technical_account ? RELAIS_UNAUTHORIZED
                          : refusal == forbidden      ? RELAIS_FORBIDDEN
                                                      : RELAIS_PERMANENT));
    CHECK_THAT(dead.message, Catch::Contains("FA-2026-0023") && Catch::Contains("Chorus Pro portal") &&
                                 Catch::Contains("https://qualif.chorus-pro.gouv.fr") && Catch::Contains("retry this job"));
    CHECK_FALSE(dead.later.has_value());
    CHECK(parse(dead.detail_json)->getValue<std::string>("state") == "unconfirmed");

    // Fixed, the dead job retried: the lost deposit is found, nothing is sent twice.
    retry(h, run, input);
    REQUIRE(run.last().ok());
    CHECK(run.result()->getValue<std::string>("state") == "integrated");
    CHECK(h.emulator().deposits() == 1);
}

TEST_CASE("chorus uncertain deposit: searches failing for tracking_max end in a dead letter naming the portal check",
          "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":3600,
                                     "tracking_max_hours":72})",
                     .processing_delay = 30s});
    h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    const auto input = submit_input("FA-2026-0024", sample_ubl("FA-2026-0024"));
    auto run = h.run_job("submit_invoice", input, 1);
    REQUIRE(run.waiting());
    const auto key = run.progress()->getValue<std::string>("submission_key");
    // As left by a deposit 73 hours ago whose searches kept failing since.
    edit_record(h, key, [](auto &record) {
        record->set("attempt_started_at", record->template getValue<int64_t>("attempt_started_at") - 73 * 3'600'000LL);
    });
    h.emulator().server().inject(Fault::unavailable().under(kSearch));
    h.resume(run, "submit_invoice", input, 1);
    REQUIRE(run.steps.size() == 2);
    CHECK(run.last().status == RELAIS_PERMANENT);
    CHECK_THAT(run.last().message, Catch::Contains("could not be searched for 72 h") &&
                                            Catch::Contains("Chorus Pro portal") && Catch::Contains("FA-2026-0024"));
    CHECK(h.emulator().deposits() == 0);
}

TEST_CASE("chorus uncertain deposit: a deposit running when the host was killed is checked after the restart, then "
          "made once",
          "[chorus]") {
    const bool arrived = GENERATE(true, false);
    const bool first_step = GENERATE(true, false);  // else a later step (a new deposit) was depositing
    INFO((arrived ? "the deposit arrived" : "the deposit never arrived")
         << (first_step ? ", the first step re-run" : ", a later step re-run"));
    const std::string settings = std::string(R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":)") +
                                 (arrived ? "3600" : "0") + "}";
    ChorusHarness h({.settings = settings, .processing_delay = 30s});
    if (arrived)
        h.emulator().lose_deposit_answers(1);
    else
        h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    const auto input = submit_input("FA-2026-0025", sample_ubl("FA-2026-0025"));
    auto run = h.run_job("submit_invoice", input, 1);
    REQUIRE(run.waiting());
    const auto key = run.progress()->getValue<std::string>("submission_key");
    // The record as saved just before the request went out, the process killed with no answer.
    edit_record(h, key, [](auto &record) {
        record->set("phase", "depositing");
        record->set("state", "new");
    });
    const auto deposits_before = h.emulator().deposits();
    h.restart(settings);

    const auto searches_before = h.emulator().server().count("POST", kSearch);
    if (first_step) {
        run.steps.clear();
        run.steps.push_back(h.step("submit_invoice", input, 1, std::nullopt));
    } else {
        run.steps.push_back(h.step("submit_invoice", input, 2, run.last().later->checkpoint));
    }
    INFO(run.last().message);
    REQUIRE(run.last().ok());
    REQUIRE(run.waiting());
    // Not re-sent blindly: the submission is only marked unconfirmed, or searched for first
    // (and, with no trace of it and no wait set, deposited then).
    if (first_step) CHECK(h.emulator().deposits() == deposits_before);
    else CHECK(h.emulator().server().count("POST", kSearch) == searches_before + 1);
    if (arrived) CHECK(h.emulator().deposits() == deposits_before);
    h.resume(run, "submit_invoice", input);
    check_integrated(run);
    CHECK(deposits_of(h, "FA-2026-0025") == 1);
}

TEST_CASE("chorus uncertain deposit: another file sent under the same invoice number is not taken for the lost one",
          "[chorus]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"uncertain_deposit_wait_seconds":0})",
                     .processing_delay = 30s});
    check_integrated(h.run_job("submit_invoice", submit_input("FA-2026-0026", sample_ubl("FA-2026-0026"))));

    // A corrected file under the same number; its deposit is reset before Chorus Pro takes it.
    const auto corrected = sample_ubl("FA-2026-0026") + "\n";
    h.emulator().server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    const auto run = h.run_job("submit_invoice", submit_input("FA-2026-0026", corrected));
    check_integrated(run);
    CHECK(deposits_of(h, "FA-2026-0026") == 2);
    CHECK(h.emulator().deposits_by_file().size() == 2);  // the corrected file went too
    const auto last = run.result();
    CHECK(last->getValue<std::string>("flux_number") == h.emulator().fluxes().back().number);
}
