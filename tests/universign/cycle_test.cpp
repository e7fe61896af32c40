// request_signature as a job, on both APIs, from the transaction's creation to its end: the
// signed documents fetched once, written where the ERP picks them up; a refusal, an expiry or a
// failure ending the job for good; and documents Universign first restores from its archive.
// The emulator's clock moves by each wait, so days of signers take no time.
#include "universign_harness.hpp"

#include <catch2/catch.hpp>

#include <relais/support/bytes.hpp>

#include <Poco/JSON/Array.h>

#include <filesystem>

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

// The job's end, checked against what the emulator signed: every document's bytes end with
// its marker, start with what was sent, the sha256 and size are theirs, the file written is
// the same bytes, and Universign was asked for the documents exactly once.
void check_signed(UniversignHarness &h, const JobRun &run, const std::vector<std::string> &sent,
                  const std::vector<std::string> &file_names) {
    INFO(run.last().message);
    REQUIRE(run.last().ok());
    REQUIRE_FALSE(run.waiting());
    const auto result = run.result();
    const auto tx = result->getValue<std::string>("transaction_id");
    CHECK(result->getValue<std::string>("state") == "completed");
    const auto docs = returned_documents(result);
    REQUIRE(docs.size() == sent.size());
    for (std::size_t i = 0; i < docs.size(); ++i) {
        INFO("document " << i);
        CHECK(ends_with(docs[i].bytes, UniversignEmulator::signed_marker(tx, i)));
        CHECK(docs[i].bytes.rfind(sent[i], 0) == 0);
        CHECK(docs[i].sha256 == support::sha256_hex(docs[i].bytes));
        CHECK(docs[i].size == static_cast<int64_t>(docs[i].bytes.size()));
        const auto expected = h.output_dir() / file_names[i];
        CHECK(std::filesystem::path(docs[i].file) == expected);
        CHECK(std::filesystem::path(docs[i].file).is_absolute());
        CHECK(read_file(expected) == docs[i].bytes);
    }
    CHECK(files_in(h.output_dir()) == sent.size());
    // XML-RPC's getDocuments returns them all at once; REST downloads each one.
    CHECK(h.emulator().documents_fetched(tx) == (h.xmlrpc() ? 1 : sent.size()));
}

std::string signer_emails(const Poco::JSON::Object::Ptr &result) {
    std::string out;
    const auto signers = result->getArray("signers");
    for (unsigned i = 0; i < signers->size(); ++i) out += signers->getObject(i)->getValue<std::string>("email") + " ";
    return out;
}

}  // namespace

TEST_CASE("universign job: one signer signs, the job ends with the signed PDF written as <custom_id>.pdf",
          "[universign][job]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto pdf = signing_pdf(2, "quote DEV-2026-0042");
    const auto input = SignatureInput("DEV-2026-0042")
                           .document("devis.pdf", pdf, {{2, 100, 200, "0"}})
                           .signer("Alice", "Martin", "alice@x.test")
                           .json();
    JobRun run;
    run.steps.push_back(h.job_step(input, 1, std::nullopt));
    INFO(run.last().message);
    REQUIRE(run.waiting());
    const auto progress = run.progress();
    CHECK(progress->getValue<std::string>("stage") == "waiting");
    CHECK(progress->getValue<std::string>("custom_id") == "DEV-2026-0042");
    CHECK(progress->getValue<std::string>("state") == "waiting_signers");
    const auto tx = progress->getValue<std::string>("transaction_id");
    CHECK(h.emulator().status_of(tx).has_value());
    const auto signers = progress->getArray("signers");
    REQUIRE(signers->size() == 1);
    CHECK(signers->getObject(0)->getValue<std::string>("email") == "alice@x.test");
    if (h.xmlrpc()) CHECK_THAT(signers->getObject(0)->getValue<std::string>("url"), Catch::Contains("/signature/?id="));
    // The progress the host shows holds no secret.
    CHECK(run.last().later->checkpoint.find(kUniversignPassword) == std::string::npos);
    CHECK(run.last().later->checkpoint.find(kUniversignApiKey) == std::string::npos);
    CHECK(run.last().later->checkpoint.find(kPushToken) == std::string::npos);
    // Nothing signed yet: nothing fetched.
    CHECK(h.emulator().documents_fetched(tx) == 0);
    // The job rechecks by itself within job_recheck_seconds (86400 by default).
    CHECK(run.last().later->delay_ms <= 86400u * 1000u);

    // On with the job: its checkpoint, the clock moved by its waits.
    for (int i = 0; i < 30 && run.waiting(); ++i) {
        const auto later = *run.last().later;
        h.advance(std::chrono::milliseconds(later.delay_ms));
        run.steps.push_back(h.job_step(input, static_cast<uint32_t>(run.steps.size() + 1), later.checkpoint));
    }
    check_signed(h, run, {pdf}, {"DEV-2026-0042.pdf"});
    CHECK(run.result()->getValue<std::string>("universign_state") == "completed");
    CHECK(run.result()->getValue<std::string>("custom_id") == "DEV-2026-0042");
    CHECK(run.result()->getValue<std::string>("transaction_id") == tx);
    CHECK(h.emulator().transactions_created("DEV-2026-0042") == 1);
}

TEST_CASE("universign job: three signers in turn and two documents, files <custom_id>-<n>.pdf with unsafe characters "
          "replaced",
          "[universign][job]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto quote = signing_pdf(1, "quote");
    const auto terms = signing_pdf(3, "general terms");
    const auto input = SignatureInput("DEV/2026-0043")
                           .document("devis.pdf", quote, {{1, 100, 200, "0"}, {1, 300, 200, "1"}, {1, 500, 200, "2"}})
                           .document("cgv.pdf", terms, {{3, 100, 100, "\"alice@x.test\""}, {3, 300, 100, "\"bob@x.test\""},
                                                        {3, 500, 100, "\"carol@x.test\""}})
                           .signer("Alice", "Martin", "alice@x.test")
                           .signer("Bob", "Durand", "bob@x.test")
                           .signer("Carol", "Petit", "carol@x.test")
                           .json();
    const auto run = h.run_job(input);
    check_signed(h, run, {quote, terms}, {"DEV_2026-0043-1.pdf", "DEV_2026-0043-2.pdf"});
    const auto result = run.result();
    CHECK(result->getValue<std::string>("custom_id") == "DEV/2026-0043");
    CHECK(signer_emails(result) == "alice@x.test bob@x.test carol@x.test ");
    CHECK(returned_documents(result)[1].name == "cgv.pdf");
}

TEST_CASE("universign job: two signers and an observer, the observer holding nothing up", "[universign][job]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto pdf = signing_pdf(1, "delivery note BL-7");
    const auto input = SignatureInput("BL-7")
                           .document("bl.pdf", pdf, {{1, 100, 200, "0"}, {1, 300, 200, "1"}})
                           .signer("Alice", "Martin", "alice@x.test")
                           .signer("Bob", "Durand", "bob@x.test")
                           .signer("Olga", "Watcher", "olga@x.test", "observer")
                           .json();
    const auto run = h.run_job(input);
    check_signed(h, run, {pdf}, {"BL-7.pdf"});
    const auto signers = run.result()->getArray("signers");
    REQUIRE(signers->size() == 3);
    CHECK(signers->getObject(2)->getValue<std::string>("role") == "observer");
    CHECK(signers->getObject(0)->getValue<std::string>("role") == "signer");
}

TEST_CASE("universign job: a refusal ends the job dead, naming the state and the signer, no file written",
          "[universign][job][final]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto input = SignatureInput("DEV-REFUSED")
                           .document("devis.pdf", signing_pdf(1, "refused quote"), {{1, 100, 200, "0"}, {1, 300, 200, "1"}})
                           .signer("Alice", "Martin", "alice@x.test")
                           .signer("Bob", "Refus", "bob+refuse@x.test")
                           .json();
    const auto run = h.run_job(input);
    INFO(run.last().message);
    REQUIRE(run.last().status == RELAIS_PERMANENT);
    CHECK_THAT(run.last().message, Catch::Contains("refused"));
    CHECK_THAT(run.last().message, Catch::Contains("bob+refuse@x.test"));
    REQUIRE_FALSE(run.last().detail_json.empty());
    const auto detail = parse(run.last().detail_json);
    CHECK(detail->getValue<std::string>("state") == "refused");
    CHECK(detail->getValue<std::string>("universign_state") == (h.xmlrpc() ? "canceled" : "started"));
    CHECK(detail->has("signers"));
    const auto tx = detail->getValue<std::string>("transaction_id");
    CHECK(h.emulator().documents_fetched(tx) == 0);
    CHECK(files_in(h.output_dir()) == 0);
}

TEST_CASE("universign job: a transaction nobody signs expires after 14 days, the job ends dead", "[universign][job][final]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    JobOptions o;
    o.max_steps = 200;
    const auto run = h.run_job(simple_input("DEV-EXPIRED", "alice+never@x.test"), o);
    INFO(run.last().message);
    REQUIRE(run.last().status == RELAIS_PERMANENT);
    CHECK_THAT(run.last().message, Catch::Contains("expired"));
    const auto detail = parse(run.last().detail_json.empty() ? "{}" : run.last().detail_json);
    CHECK(detail->optValue<std::string>("state", "") == "expired");
    CHECK(detail->optValue<std::string>("universign_state", "") == "expired");
    CHECK(files_in(h.output_dir()) == 0);
    // It looked about once a day, not every few minutes.
    CHECK(run.steps.size() <= 20);
}

TEST_CASE("universign job: a signature that fails ends the job dead (XML-RPC failed, REST cannot tell it from a refusal)",
          "[universign][job][final]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto run = h.run_job(simple_input("DEV-FAILED", "alice+fail@x.test"));
    INFO(run.last().message);
    REQUIRE(run.last().status == RELAIS_PERMANENT);
    const std::string state = h.xmlrpc() ? "failed" : "refused";
    CHECK_THAT(run.last().message, Catch::Contains(state));
    CHECK_THAT(run.last().message, Catch::Contains("alice+fail@x.test"));
    const auto detail = parse(run.last().detail_json.empty() ? "{}" : run.last().detail_json);
    CHECK(detail->optValue<std::string>("state", "") == state);
    CHECK(files_in(h.output_dir()) == 0);
}

TEST_CASE("universign job: documents archived after 30 days are restored first, then fetched once (XML-RPC)",
          "[universign][job][archive]") {
    UniversignHarness h(on("xmlrpc"));
    const auto pdf = signing_pdf(1, "old quote");
    const auto input = SignatureInput("DEV-ARCHIVED").document("devis.pdf", pdf).signer("Alice", "Martin", "alice@x.test").json();
    auto first = h.job_step(input, 1, std::nullopt);
    INFO(first.message);
    REQUIRE(first.later);
    const auto tx = parse(first.later->checkpoint)->getValue<std::string>("transaction_id");
    // Signed within minutes, but the job looks only 31 days later: the documents are in the archive.
    h.advance(std::chrono::hours(24 * 31));
    JobRun run;
    run.steps.push_back(first);
    run.steps.push_back(h.job_step(input, 2, first.later->checkpoint));
    INFO(run.last().message);
    REQUIRE(run.waiting());
    CHECK(run.progress()->getValue<std::string>("stage") == "restoring");
    CHECK(run.last().later->delay_ms == 900u * 1000u);  // restore_retry_seconds
    CHECK(h.emulator().calls("requester.getDocuments") == 1);
    // Looks every 15 minutes until the restore (2 h) is done.
    for (int i = 0; i < 20 && run.waiting(); ++i) {
        const auto later = *run.last().later;
        h.advance(std::chrono::milliseconds(later.delay_ms));
        run.steps.push_back(h.job_step(input, static_cast<uint32_t>(run.steps.size() + 1), later.checkpoint));
    }
    check_signed(h, run, {pdf}, {"DEV-ARCHIVED.pdf"});
    CHECK(run.steps.size() <= 2 + 9);
}

TEST_CASE("universign fetch_signed: an archived transaction answers transient with the restore delay, then its documents",
          "[universign][archive]") {
    UniversignHarness h(on("xmlrpc"));
    const auto created = h.ok("request_signature", simple_input("DEV-ARCHIVED-SYNC"));
    const auto tx = created->getValue<std::string>("transaction_id");
    h.advance(std::chrono::hours(24 * 31));
    const auto r = h.call("fetch_signed", R"({"transaction_id":)" + json_string(tx) + "}");
    INFO(r.message);
    CHECK(r.status == RELAIS_TRANSIENT);
    CHECK(r.retry_after_ms == 900u * 1000u);
    h.advance(std::chrono::hours(2));
    const auto docs = returned_documents(h.ok("fetch_signed", R"({"custom_id":"DEV-ARCHIVED-SYNC"})"));
    REQUIRE(docs.size() == 1);
    CHECK(ends_with(docs[0].bytes, UniversignEmulator::signed_marker(tx, 0)));
    CHECK(docs[0].sha256 == support::sha256_hex(docs[0].bytes));
}

TEST_CASE("universign job: REST keeps serving archived transactions' documents, the job ends with them",
          "[universign][job][archive]") {
    UniversignHarness h(on("rest"));
    const auto pdf = signing_pdf(1, "old quote");
    const auto input = SignatureInput("DEV-ARCHIVED-REST").document("devis.pdf", pdf).signer("Alice", "Martin", "alice@x.test").json();
    auto first = h.job_step(input, 1, std::nullopt);
    INFO(first.message);
    REQUIRE(first.later);
    h.advance(std::chrono::hours(24 * 31));
    JobRun run;
    run.steps.push_back(first);
    run.steps.push_back(h.job_step(input, 2, first.later->checkpoint));
    check_signed(h, run, {pdf}, {"DEV-ARCHIVED-REST.pdf"});
    CHECK(run.result()->getValue<std::string>("universign_state") == "archived");
}
