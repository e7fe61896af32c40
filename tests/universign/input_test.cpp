// request_signature's input checked here, before anything is sent: each mistake refused as
// invalid_input naming the field, and not one request reaching Universign. And the document
// size limits of each API: a 20 MB PDF goes through REST (25 MB) and is refused locally for
// XML-RPC (10 MB).
#include "universign_harness.hpp"

#include <catch2/catch.hpp>

#include <relais/support/bytes.hpp>

#include <fstream>

using namespace relais;
using namespace relais::test;
using universign_emulator::UniversignEmulator;

namespace {

UniversignHarnessOptions on(const std::string &api) {
    UniversignHarnessOptions o;
    o.api = api;
    return o;
}

void write_file(const std::filesystem::path &path, const std::string &bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

}  // namespace

TEST_CASE("universign request_signature: bad input is refused naming the field, nothing sent upstream",
          "[universign][input]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarness h(on(api));
    const auto pdf = signing_pdf(1, "quote");
    const auto refused = [&](const std::string &input, const std::vector<std::string> &words) {
        for (const auto &r : {h.call("request_signature", input), h.job_step(input, 1, std::nullopt)}) {
            INFO(r.message);
            CHECK(r.status == RELAIS_INVALID_INPUT);
            for (const auto &w : words) CHECK_THAT(r.message, Catch::Contains(w));
        }
    };
    const auto base = [&] { return SignatureInput("DEV-BAD").document("devis.pdf", pdf).signer("Alice", "Martin", "alice@x.test"); };

    // The second document is not a PDF.
    auto in = base();
    in.document("notes.txt", "plain text, no PDF here");
    refused(in.json(), {"documents[1]", "PDF"});
    // 21 documents.
    in = base();
    for (int i = 0; i < 20; ++i) in.document("annex-" + std::to_string(i) + ".pdf", pdf);
    refused(in.json(), {"documents", "20"});
    // No signer at all, and only an observer.
    in = SignatureInput("DEV-BAD").document("devis.pdf", pdf, {});
    refused(in.json(), {"signers"});
    in.signer("Olga", "Watcher", "olga@x.test", "observer");
    refused(in.json(), {"signer"});
    // A field on page 3 of a one-page PDF.
    in = SignatureInput("DEV-BAD").document("devis.pdf", pdf, {{3, 100, 200, "0"}}).signer("Alice", "Martin", "alice@x.test");
    refused(in.json(), {"page"});
    // A field for a signer who is not among the signers.
    in = SignatureInput("DEV-BAD")
             .document("devis.pdf", pdf, {{1, 100, 200, "\"nobody@x.test\""}})
             .signer("Alice", "Martin", "alice@x.test");
    refused(in.json(), {"signer", "nobody@x.test"});
    in = SignatureInput("DEV-BAD").document("devis.pdf", pdf, {{1, 100, 200, "3"}}).signer("Alice", "Martin", "alice@x.test");
    refused(in.json(), {"signer"});
    // No custom_id, and one with characters Universign's customId should not carry.
    refused(base().json(false), {"custom_id"});
    in = base();
    in.custom_id = "DEV 42; DROP";
    refused(in.json(), {"custom_id"});
    // A signer without email.
    in = SignatureInput("DEV-BAD").document("devis.pdf", pdf).signer("Alice", "Martin", "");
    refused(in.json(), {"email"});
    // A file_path out of file_directory.
    write_file(h.dir() / "outside.pdf", pdf);
    in = SignatureInput("DEV-BAD").signer("Alice", "Martin", "alice@x.test");
    in.documents.push_back(DocumentSpec{"outside.pdf", "", "../outside.pdf", {}});
    refused(in.json(), {"file_path"});
    CHECK(h.upstream_requests() == 0);
    CHECK(h.emulator().transactions_created() == 0);

    // The same file inside file_directory is taken.
    write_file(h.file_dir() / "contrat.pdf", pdf);
    in = SignatureInput("DEV-FROM-FILE").signer("Alice", "Martin", "alice@x.test");
    in.documents.push_back(DocumentSpec{"contrat.pdf", "", "contrat.pdf", {}});
    const auto created = h.ok("request_signature", in.json());
    CHECK(created->getValue<bool>("created"));
    CHECK(h.emulator().transactions_created("DEV-FROM-FILE") == 1);
}

TEST_CASE("universign request_signature: a 20 MB PDF is signed through REST, refused here for XML-RPC's 10 MB",
          "[universign][input][large]") {
    const auto big = large_pdf(20u << 20, "scanned contract");
    REQUIRE(big.size() >= (20u << 20));
    const auto input = SignatureInput("DEV-BIG").document("big.pdf", big).signer("Alice", "Martin", "alice@x.test").json();
    SECTION("xmlrpc") {
        UniversignHarness h(on("xmlrpc"));
        const auto r = h.call("request_signature", input);
        INFO(r.message);
        CHECK(r.status == RELAIS_INVALID_INPUT);
        CHECK_THAT(r.message, Catch::Contains("10 MB"));
        CHECK_THAT(r.message, Catch::Contains("big.pdf") || Catch::Contains("documents[0]"));
        CHECK(h.upstream_requests() == 0);
    }
    SECTION("rest") {
        UniversignHarness h(on("rest"));
        const auto run = h.run_job(input);
        INFO(run.last().message);
        REQUIRE(run.last().ok());
        REQUIRE_FALSE(run.waiting());
        const auto tx = run.result()->getValue<std::string>("transaction_id");
        const auto docs = returned_documents(run.result());
        REQUIRE(docs.size() == 1);
        CHECK(docs[0].bytes.size() == big.size() + UniversignEmulator::signed_marker(tx, 0).size());
        CHECK(ends_with(docs[0].bytes, UniversignEmulator::signed_marker(tx, 0)));
        CHECK(docs[0].sha256 == support::sha256_hex(docs[0].bytes));
        CHECK(read_file(h.output_dir() / "DEV-BIG.pdf").size() == docs[0].bytes.size());
        CHECK(h.emulator().documents_fetched(tx) == 1);
    }
}
